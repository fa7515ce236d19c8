package dev.ckpt.storage

import java.io.IOException
import java.nio.file.Path

/**
 * A file of a run (`manifest.json` or a `checkpoint.json`) is malformed, unsupported or hostile.
 *
 * The message names the [file] and the [problem], for example
 * `runs/x/manifest.json: checkpoints[2].path "../etc" must not contain "..": paths in a run stay inside the run directory`.
 *
 * ```kotlin
 * try { RunReader.open(root) } catch (e: CorruptRunException) { println("${e.file}: ${e.problem}") }
 * ```
 *
 * It deliberately does not try to repair the file: ckpt never guesses what a damaged manifest meant.
 */
public class CorruptRunException(
    /** The file that failed to parse or validate. */
    public val file: Path,
    /** What is wrong with it, for humans. */
    public val problem: String,
    cause: Throwable? = null,
) : IOException("$file: $problem", cause)

/**
 * A second writer tried to open a run that another writer (this process or another) holds.
 *
 * ```kotlin
 * RunWriter.open(root, "fp").use { RunWriter.open(root, "fp") } // throws RunLockedException
 * ```
 *
 * It deliberately does not wait or steal the lock: two writers on one run would corrupt its manifest.
 */
public class RunLockedException(
    /** The run directory that is locked. */
    public val root: Path,
    /** The owner description the holder wrote into `run.lock`, or null when unknown. */
    public val holder: String?,
) : IOException(
    "run $root is already open for writing" + (holder?.let { " by $it" } ?: "") +
        "; a run accepts one writer at a time: wait for that training to finish, or write to another directory",
)

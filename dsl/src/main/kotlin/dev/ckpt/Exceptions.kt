package dev.ckpt

import java.io.IOException

/**
 * A file of a run (`manifest.json` or a `checkpoint.json`) is malformed, unsupported or hostile.
 *
 * The message names the [file] and the [problem], for example
 * `runs/x/manifest.json: checkpoints[2].path "../etc" must not contain "..": paths in a run stay inside the run directory`.
 *
 * ```kotlin
 * try { Checkpoints.open("runs/x") } catch (e: CorruptRunException) { println("${e.file}: ${e.problem}") }
 * ```
 *
 * It deliberately does not try to repair the file: ckpt never guesses what a damaged manifest meant.
 */
public class CorruptRunException internal constructor(
    /** Where the file is: a local path, or an `s3://` location. */
    public val file: String,
    /** What is wrong with it, for humans. */
    public val problem: String,
    cause: Throwable? = null,
) : IOException("$file: $problem", cause)

/**
 * A second writer tried to open a run that another writer (this process or another) holds.
 *
 * ```kotlin
 * // while another process trains into runs/x:
 * model.fit(train, epochs = 5, callbacks = listOf(checkpoint("runs/x/e{epoch}") { resume = true }))  // RunLockedException
 * ```
 *
 * It deliberately does not wait or steal the lock: two writers on one run would corrupt its manifest.
 */
public class RunLockedException internal constructor(
    /** The run that is locked: a local directory, or an `s3://` location. */
    public val run: String,
    /** The owner description the holder recorded, or null when unknown. */
    public val holder: String?,
) : IOException(
    "run $run is already open for writing" + (holder?.let { " by $it" } ?: "") +
        "; a run accepts one writer at a time: wait for that training to finish, or write to another directory",
)

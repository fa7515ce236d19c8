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
 * Two writers met on one run, and this one lost: another writer (this process or another) holds the run, or, on
 * S3, took it over since this writer last wrote.
 *
 * ```kotlin
 * // while another process trains into runs/x:
 * model.fit(train, epochs = 5, callbacks = listOf(checkpoint("runs/x/e{epoch}") { resume = true }))  // RunLockedException
 * ```
 *
 * On a file system the second writer is refused when it opens the run. On S3, where no lock outlives a crashed
 * writer, the writer that opened the run last holds it: an earlier writer gets this exception at its next save,
 * and writes nothing more (see `docs/storage.md`). It deliberately does not wait or steal the lock: two writers on
 * one run would corrupt its manifest.
 */
public class RunLockedException internal constructor(
    /** The run that is locked: a local directory, or an `s3://` location. */
    public val run: String,
    /** The owner description the holder recorded, or null when unknown. */
    public val holder: String?,
    message: String,
) : IOException(message) {
    internal constructor(run: String, holder: String?) : this(
        run, holder,
        "run $run is already open for writing" + (holder?.let { " by $it" } ?: "") +
            "; a run accepts one writer at a time: wait for that training to finish, or write to another directory",
    )
}

/** The run was taken over: [holder] claimed it after this writer's last write. */
internal fun runTakenOver(run: String, holder: String?): RunLockedException = RunLockedException(
    run, holder,
    "run $run was taken over by another writer" + (holder?.let { " ($it)" } ?: "") + ", which opened it after " +
        "this one last wrote manifest.json; this writer stops writing to it, so that two writers never both " +
        "commit to one run: let one training write the run, or give each its own",
)

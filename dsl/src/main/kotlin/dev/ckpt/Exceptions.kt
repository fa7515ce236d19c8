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
public class CorruptRunException @InternalCkptApi constructor(
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
public class RunLockedException @InternalCkptApi constructor(
    /** The run that is locked: a local directory, or an `s3://` location. */
    public val run: String,
    /** The owner description the holder recorded, or null when unknown. */
    public val holder: String?,
    message: String,
) : IOException(message) {
    @InternalCkptApi public constructor(run: String, holder: String?) : this(
        run, holder,
        "run $run is already open for writing" + (holder?.let { " by $it" } ?: "") +
            "; a run accepts one writer at a time: wait for that training to finish, or write to another directory",
    )
}

/** The run was taken over: [holder] claimed it after this writer's last write. */
@InternalCkptApi
public fun runTakenOver(run: String, holder: String?): RunLockedException = RunLockedException(
    run, holder,
    "run $run was taken over by another writer" + (holder?.let { " ($it)" } ?: "") + ", which opened it after " +
        "this one last wrote manifest.json; this writer stops writing to it, so that two writers never both " +
        "commit to one run: let one training write the run, or give each its own",
)

/**
 * S3 is not set up for this run: the AWS SDK is missing, a setting it needs (the region, credentials) is missing or
 * has a bad value, or the server refused what the settings made the SDK send (its default checksums, unknown or
 * wrong credentials). The message names the run or object and the settings that fix it, for example
 * `PUT s3://ckpt-demo/runs/x/manifest.json failed: S3 answered 400 XAmzContentSHA256Mismatch: ...; ... set
 * AWS_REQUEST_CHECKSUM_CALCULATION=when_required and AWS_RESPONSE_CHECKSUM_VALIDATION=when_required ...`.
 *
 * ```kotlin
 * try { Checkpoints.open("s3://ckpt-demo/runs/digits") } catch (e: S3SetupException) { System.err.println(e.message) }
 * ```
 *
 * It deliberately does not cover a server that cannot be reached or a request that failed on the way: those stay
 * plain [IOException]s, which waiting or retrying may cure; this one needs a setting changed.
 */
public class S3SetupException @InternalCkptApi constructor(
    /** Where it was met: the `s3://` run, or the object a request was refused for. */
    public val location: String,
    message: String,
    cause: Throwable? = null,
) : IOException(message, cause)

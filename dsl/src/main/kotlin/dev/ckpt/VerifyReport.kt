package dev.ckpt

/**
 * The outcome of verifying one checkpoint.
 *
 * ```kotlin
 * when (val s = checkpoint.verify()) {
 *     CheckpointStatus.Ok -> println("ok")
 *     is CheckpointStatus.Corrupt -> println("${s.file}: expected ${s.expected}, got ${s.actual}")
 *     is CheckpointStatus.Incomplete -> println("missing ${s.missingFile}")
 *     CheckpointStatus.Missing -> println("directory missing")
 * }
 * ```
 *
 * It deliberately reports only the first problem of a checkpoint: one is enough to refuse it.
 */
public sealed class CheckpointStatus {
    /** Every listed file is present with the recorded size and SHA-256. */
    public data object Ok : CheckpointStatus()

    /** [file] (relative to the checkpoint) does not hold what was recorded: [expected] vs [actual] (hashes, or descriptions). */
    public class Corrupt(public val file: String, public val expected: String, public val actual: String) : CheckpointStatus() {
        override fun equals(other: Any?): Boolean = other is Corrupt && file == other.file && expected == other.expected && actual == other.actual

        override fun hashCode(): Int = listOf(file, expected, actual).hashCode()

        override fun toString(): String = "Corrupt(file=$file, expected=$expected, actual=$actual)"
    }

    /** [missingFile] (relative to the checkpoint; `checkpoint.json` included) is absent. */
    public class Incomplete(public val missingFile: String) : CheckpointStatus() {
        override fun equals(other: Any?): Boolean = other is Incomplete && missingFile == other.missingFile

        override fun hashCode(): Int = missingFile.hashCode()

        override fun toString(): String = "Incomplete(missingFile=$missingFile)"
    }

    /** The checkpoint directory is absent. */
    public data object Missing : CheckpointStatus()
}

/**
 * One line of a [VerifyReport].
 *
 * ```kotlin
 * report.results.forEach { println("${it.path}: ${it.status}") }
 * ```
 *
 * It deliberately carries no exception: a verify result is data, not a failure.
 */
public class CheckpointVerification(
    /** Checkpoint path relative to the run directory. */
    public val path: String,
    /** What verification found. */
    public val status: CheckpointStatus,
) {
    override fun equals(other: Any?): Boolean = other is CheckpointVerification && path == other.path && status == other.status

    override fun hashCode(): Int = listOf(path, status).hashCode()

    override fun toString(): String = "CheckpointVerification(path=$path, status=$status)"
}

/**
 * The result of [Checkpoints.verify]: one [CheckpointVerification] per listed checkpoint, in manifest order.
 *
 * ```kotlin
 * val report = Checkpoints.open("runs/digits").verify()
 * check(report.allOk) { report.toString() }
 * ```
 *
 * It deliberately does not look at files the manifest does not list.
 */
public class VerifyReport internal constructor(
    /** One result per listed checkpoint. */
    public val results: List<CheckpointVerification>,
) {
    /** True when every listed checkpoint is [CheckpointStatus.Ok]. */
    public val allOk: Boolean get() = results.all { it.status == CheckpointStatus.Ok }

    /** The status of the checkpoint at [path], or null when it is not listed. */
    public fun status(path: String): CheckpointStatus? = results.firstOrNull { it.path == path }?.status

    override fun equals(other: Any?): Boolean = other is VerifyReport && results == other.results

    override fun hashCode(): Int = results.hashCode()

    override fun toString(): String = "VerifyReport(results=$results)"
}

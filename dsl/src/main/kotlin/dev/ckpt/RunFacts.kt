package dev.ckpt

import java.time.Instant

/**
 * One file of a checkpoint as its `checkpoint.json` records it.
 *
 * ```kotlin
 * Checkpoints.open("runs/digits").best().files().forEach { println("${it.path} ${it.size} ${it.sha256}") }
 * ```
 *
 * It describes what was committed, not what is on disk now: [Checkpoint.verify] compares the two.
 */
public class StoredFile internal constructor(
    /** Path inside the checkpoint, `/`-separated. */
    public val path: String,
    /** Size in bytes at the commit. */
    public val size: Long,
    /** SHA-256 of the content at the commit, lowercase hex. */
    public val sha256: String,
) {
    override fun equals(other: Any?): Boolean = other is StoredFile && path == other.path && size == other.size && sha256 == other.sha256

    override fun hashCode(): Int = listOf(path, size, sha256).hashCode()

    override fun toString(): String = "StoredFile(path=$path, size=$size, sha256=$sha256)"
}

/**
 * What a run logged at one epoch end, from its `history.jsonl`: the metrics, and the checkpoints saved during
 * that epoch (whether they are still kept, [Checkpoints.all] says; those no longer listed were released).
 *
 * ```kotlin
 * val history = Checkpoints.open("runs/digits").history()
 * val best = history.maxBy { it.metrics["val_accuracy"] ?: Double.NEGATIVE_INFINITY }
 * println("epoch ${best.epoch}, saved: ${best.saved}")
 * ```
 *
 * It deliberately records every epoch, saved or not: the manifest keeps only retained checkpoints, so a run
 * would otherwise forget the metrics of released and unsaved epochs.
 */
public class EpochRecord internal constructor(
    /** 1-based epoch, numbered across resumes as checkpoints are. */
    public val epoch: Int,
    /** Global step (training batches since the run began) at the epoch end. */
    public val step: Long,
    /** The epoch's logs: `loss`, metrics, and their `val_` twins with validation data. NaN when training diverged. */
    public val metrics: Map<String, Double>,
    /**
     * Checkpoint paths (relative to the run) whose save was decided during this epoch, batch-level saves
     * included, minus those whose write had failed when the epoch ended.
     */
    public val saved: List<String>,
    /** When the epoch ended (the writer's clock). */
    public val time: Instant,
) {
    override fun equals(other: Any?): Boolean = other is EpochRecord && epoch == other.epoch && step == other.step && metrics == other.metrics && saved == other.saved && time == other.time

    override fun hashCode(): Int = listOf(epoch, step, metrics, saved, time).hashCode()

    override fun toString(): String = "EpochRecord(epoch=$epoch, step=$step, metrics=$metrics, saved=$saved, time=$time)"
}

/**
 * Told after each checkpoint [Checkpoints.verify] has checked, e.g. to draw a progress bar.
 *
 * ```kotlin
 * run.verify { done, total, result -> System.err.print("\rverified $done/$total (${result.path})") }
 * ```
 *
 * It is called on the verifying thread; it deliberately cannot cancel the verification.
 */
public fun interface VerifyProgress {
    /** [done] of [total] checkpoints are checked; [result] is the one just checked. */
    public fun checked(done: Int, total: Int, result: CheckpointVerification)
}

/**
 * What [Checkpoints.prune] released (or, for a dry run, would release).
 *
 * ```kotlin
 * val report = Checkpoints.prune("runs/digits", Retention.keepAll().withKeepLast(2), dryRun = true)
 * report.released.forEach { println("would release $it") }
 * ```
 *
 * It deliberately lists only manifest entries: files ckpt did not write are neither counted nor touched.
 */
public class PruneReport internal constructor(
    /** The run. */
    public val location: String,
    /** Paths (relative to the run) released, oldest first. */
    public val released: List<String>,
    /** Paths the run keeps, oldest first. */
    public val kept: List<String>,
    /** Bytes the released checkpoints' files held as recorded (a checkpoint whose `checkpoint.json` is unreadable counts 0). */
    public val releasedBytes: Long,
    /** True when nothing was changed: [released] is what pruning would release. */
    public val dryRun: Boolean,
    /**
     * Deletions that failed, one message each naming the checkpoint: those stay listed as releasing in the
     * manifest, and the run's next writer deletes them.
     */
    public val errors: List<String>,
) {
    override fun equals(other: Any?): Boolean = other is PruneReport && location == other.location && released == other.released && kept == other.kept && releasedBytes == other.releasedBytes && dryRun == other.dryRun && errors == other.errors

    override fun hashCode(): Int = listOf(location, released, kept, releasedBytes, dryRun, errors).hashCode()

    override fun toString(): String = "PruneReport(location=$location, released=$released, kept=$kept, releasedBytes=$releasedBytes, dryRun=$dryRun, errors=$errors)"
}

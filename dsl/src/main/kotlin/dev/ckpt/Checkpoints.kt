package dev.ckpt

import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.core.policy.Retention
import dev.ckpt.storage.FileRunStore
import dev.ckpt.storage.RunReader
import dev.ckpt.storage.RunScan
import dev.ckpt.storage.RunStore
import dev.ckpt.storage.RunStores
import java.io.IOException
import java.nio.file.Path

/**
 * A run's checkpoints, read from its `manifest.json`: list them, pick the best, the latest or one epoch's,
 * verify them, and load one.
 *
 * ```kotlin
 * val run = Checkpoints.open("runs/digits")
 * run.all.forEach { println("${it.path}: epoch ${it.epoch} ${it.metrics}") }
 * val model = run.best().loadModel({ it.compile(Adam(), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY) })
 * ```
 *
 * Read-only: it never writes, moves or deletes anything, and it reads nothing outside the run. It is a
 * snapshot of the manifest at [open]: a run being written shows the checkpoints committed by then, never a
 * half-written one. The one entry point that changes a run is [prune], which goes through the run's writer lock.
 */
public class Checkpoints private constructor(private val reader: RunReader) {
    /** The run: a local directory, or an `s3://` location. */
    public val location: String get() = reader.store.location

    /** Every checkpoint the manifest lists, oldest first. */
    public val all: List<Checkpoint> = reader.checkpoints.map { Checkpoint(reader, it, it.path == reader.manifest.best) }

    /**
     * The run's resume point, or null when it has none: the newest committed state of a run trained with
     * `resume = true` when no listed checkpoint is newer (a save-best-only epoch that did not improve, or a stop
     * request, writes one). Not in [all], never best or latest, never released by retention; `resume` and
     * [CheckpointCallback.fit] continue from it. Load it like any checkpoint:
     *
     * ```kotlin
     * Checkpoints.open("runs/digits").resumePoint?.let { println("stopped at epoch ${it.epoch}, batch ${it.batch}") }
     * ```
     */
    public val resumePoint: Checkpoint? = reader.manifest.resumePoint?.let { Checkpoint(reader, it, isBest = false, isResumePoint = true) }

    /** The best checkpoint by the monitored metric, or null when none is marked best. */
    public fun bestOrNull(): Checkpoint? = all.firstOrNull { it.isBest }

    /** The last committed checkpoint, or null when the run has none. */
    public fun latestOrNull(): Checkpoint? = reader.manifest.latest?.let { latest -> all.firstOrNull { it.path == latest } }

    /** The best checkpoint; fails with a message saying why there is none. */
    public fun best(): Checkpoint = bestOrNull() ?: throw NoSuchElementException(
        "run $location has no best checkpoint: ${describe()}; a best checkpoint needs the monitored metric in the logs",
    )

    /** The latest checkpoint; fails when the run has none. */
    public fun latest(): Checkpoint = latestOrNull() ?: throw NoSuchElementException("run $location has no checkpoints")

    /** The checkpoint saved at the end of [epoch] (1-based), or the last one saved during it. */
    public fun epoch(epoch: Int): Checkpoint = all.lastOrNull { it.epoch == epoch && it.batch == null }
        ?: all.lastOrNull { it.epoch == epoch }
        ?: throw NoSuchElementException(
            "run $location has no checkpoint of epoch $epoch; epochs with checkpoints: " +
                all.map { it.epoch }.distinct().joinToString(", ").ifEmpty { "none" },
        )

    /** Re-hashes every file of every checkpoint and of the resume point. */
    @Throws(IOException::class)
    public fun verify(): VerifyReport = reader.verify()

    /**
     * Re-hashes every file of every checkpoint, telling [progress] after each checkpoint (on the calling thread),
     * e.g. to draw a progress bar.
     */
    @Throws(IOException::class)
    public fun verify(progress: VerifyProgress): VerifyReport =
        reader.verify { done, result -> progress.checked(done, all.size + (if (resumePoint != null) 1 else 0), result) }

    /** The random id of the run, also written into each of its `checkpoint.json` files. */
    public val runId: String get() = reader.manifest.runId

    /**
     * The decision settings of the policy that last wrote the run, by name (`monitor`, `direction`, `saveBestOnly`,
     * `saveFrequency`, `retention` ...), as its manifest records them.
     */
    public val policySettings: Map<String, String> get() = CheckpointPolicy.settingsOf(reader.manifest.policySettings)

    /**
     * Paths of checkpoints retention released whose deletion a crash or an I/O error interrupted: no longer part of
     * the run, their files may still be on disk, and the run's next writer (training, or [prune]) deletes them.
     */
    public val pendingReleases: List<String> get() = reader.manifest.releasing.map { it.path }

    /**
     * The run's metric history: one [EpochRecord] per epoch end, in the order they were written (read from
     * `history.jsonl` when called, so it may include epochs newer than this snapshot's checkpoints). Empty for a
     * run written before ckpt recorded history.
     *
     * ```kotlin
     * Checkpoints.open("runs/digits").history().forEach { println("${it.epoch}: ${it.metrics["val_accuracy"]}") }
     * ```
     *
     * A resumed run continues from its latest checkpoint, so epochs recorded after that checkpoint are trained and
     * recorded again: the last record of an epoch is the one the run continued from.
     *
     * @throws CorruptRunException when a line other than a torn last one is not a history record
     */
    @Throws(IOException::class)
    public fun history(): List<EpochRecord> = reader.history().map { EpochRecord(it.epoch, it.step, it.metrics, it.saved, it.time) }

    private fun describe(): String = if (all.isEmpty()) "it has no checkpoints" else "${all.size} checkpoint(s), none marked best"

    override fun toString(): String = "Checkpoints($location: ${all.size} checkpoint(s))"

    public companion object {
        /**
         * Opens the run in [directory] (the one holding `manifest.json`).
         *
         * @throws java.nio.file.NoSuchFileException when there is no run there
         * @throws CorruptRunException when the manifest is malformed or unsafe
         */
        @JvmStatic
        @Throws(IOException::class)
        public fun open(directory: Path): Checkpoints = open(FileRunStore(directory))

        /**
         * Opens the run at [location]: a local directory, or a run on S3, `s3://bucket/prefix` (region, credentials
         * and endpoint from the AWS SDK's standard chain; the SDK is an optional dependency, see `docs/storage.md`).
         *
         * ```kotlin
         * val best = Checkpoints.open("s3://ckpt-demo/runs/digits").best()
         * ```
         *
         * @throws java.nio.file.NoSuchFileException when there is no run there
         * @throws IllegalArgumentException when an `s3://` location is malformed
         * @throws IllegalStateException when an `s3://` run is opened without the AWS SDK on the class path
         */
        @JvmStatic
        @Throws(IOException::class)
        public fun open(location: String): Checkpoints = open(storeAt(location))

        internal fun open(store: RunStore): Checkpoints = Checkpoints(RunReader.open(store))

        /**
         * Applies [retention] to the finished run at [location] now, as training would have: releases the
         * checkpoints no rule keeps, never the best or the latest, through the run's manifest (one write lists them
         * as releasing, then their own files are deleted; files ckpt did not write stay). With [dryRun] it only
         * reports what it would release, and changes nothing.
         *
         * ```kotlin
         * val report = Checkpoints.prune("runs/digits", Retention.keepAll().withKeepBest(1).withKeepLast(2))
         * println("released ${report.released}, freed ${report.releasedBytes} bytes")
         * ```
         *
         * Keep-best ranks by each checkpoint's monitored value in the direction the run's policy recorded. It takes
         * the run's writer lock, so it refuses a run that is being trained, and a training cannot start while it
         * runs. It deliberately does not touch anything the manifest does not list.
         *
         * @throws java.nio.file.NoSuchFileException when there is no run at [location]
         * @throws CorruptRunException when its manifest is malformed or unsafe
         * @throws RunLockedException when a writer holds the run (not for a [dryRun])
         * @throws IllegalArgumentException when [retention] keeps everything, or keep-best is asked of a run whose
         *   policy recorded no monitor direction
         */
        @JvmStatic
        @JvmOverloads
        @Throws(IOException::class)
        public fun prune(location: String, retention: Retention, dryRun: Boolean = false): PruneReport =
            Pruning.prune(storeAt(location), retention, dryRun)

        /** [prune] for the run in [directory]. */
        @JvmStatic
        @JvmOverloads
        @Throws(IOException::class)
        public fun prune(directory: Path, retention: Retention, dryRun: Boolean = false): PruneReport =
            Pruning.prune(FileRunStore(directory), retention, dryRun)

        /**
         * Every run under [root] (a local directory, or an `s3://` prefix), at any depth, read from their manifests
         * alone: grouped by monitored metric and direction, best first; damaged runs listed apart, never hiding the
         * others. `docs/runs.md` describes what each state means.
         *
         * ```kotlin
         * val runs = Checkpoints.runs("runs/sweep")
         * runs.groups.forEach { g -> g.runs.forEach { println("${g.label} ${it.path} ${it.state} ${it.bestValue}") } }
         * val best = runs.best().open().best()
         * ```
         *
         * It opens no checkpoint and takes no lock (it asks whether a writer holds each run). On S3 it lists the
         * prefix once (one request per 1,000 keys) and reads each manifest with one GET, in parallel.
         *
         * @throws java.nio.file.NoSuchFileException when a local [root] is not a directory
         * @throws IllegalArgumentException when an `s3://` root is malformed
         * @throws S3SetupException when an `s3://` root is listed without `dev.ckpt:ckpt-s3` on the class path, or S3 is not set up
         */
        @JvmStatic
        @Throws(IOException::class)
        public fun runs(root: String): RunList = RunScan.list(root)

        /** [runs] under the local directory [root]. */
        @JvmStatic
        @Throws(IOException::class)
        public fun runs(root: Path): RunList = RunScan.list(root)

        /** The storage of the run at [location]: every entry point that takes a location string goes through [RunStores]. */
        internal fun storeAt(location: String): RunStore = RunStores.open(location)
    }
}

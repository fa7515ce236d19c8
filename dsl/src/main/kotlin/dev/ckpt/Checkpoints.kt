package dev.ckpt

import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.core.policy.Retention
import dev.ckpt.kotlindl.ModelFiles
import dev.ckpt.kotlindl.ModelType
import dev.ckpt.kotlindl.NativeFormatReader
import dev.ckpt.storage.FileRunStore
import dev.ckpt.storage.ManifestEntry
import dev.ckpt.storage.RunReader
import dev.ckpt.storage.RunScan
import dev.ckpt.storage.RunStore
import org.jetbrains.kotlinx.dl.api.core.Functional
import dev.ckpt.storage.S3Location
import dev.ckpt.storage.S3Support
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.jetbrains.kotlinx.dl.api.core.Sequential
import java.io.IOException
import java.nio.file.NoSuchFileException
import java.nio.file.Path
import java.time.Instant

/**
 * A run's checkpoints, read from its `manifest.json`: list them, pick the best, the latest or one epoch's,
 * verify them, and load one.
 *
 * ```kotlin
 * val run = Checkpoints.open("runs/digits")
 * run.all.forEach { println("${it.path}: epoch ${it.epoch} ${it.metrics}") }
 * val model = run.best().loadModel { it.compile(Adam(), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY) }
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
    public val policySettings: Map<String, String> get() = CheckpointPolicy.settingsOf(reader.manifest.policyFingerprint)

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
         * @throws IllegalStateException when an `s3://` root is listed without the AWS SDK on the class path
         */
        @JvmStatic
        @Throws(IOException::class)
        public fun runs(root: String): RunList = RunScan.list(root)

        /** [runs] under the local directory [root]. */
        @JvmStatic
        @Throws(IOException::class)
        public fun runs(root: Path): RunList = RunScan.list(root)

        /** The storage of the run at [location]: every entry point that takes a location string chooses it here. */
        internal fun storeAt(location: String): RunStore =
            if (S3Location.isS3(location)) S3Support.store(location) else FileRunStore(Path.of(location))
    }
}

/**
 * One saved checkpoint: where, when, with which metrics; loads into a model.
 *
 * ```kotlin
 * val best = Checkpoints.open("runs/digits").best()
 * println("epoch ${best.epoch}: val_accuracy ${best.metrics["val_accuracy"]}")
 * best.loadWeightsInto(model)          // model built and compiled like the trained one
 * ```
 *
 * Loading verifies every file's SHA-256 first and refuses a corrupt or incomplete checkpoint unless
 * `allowCorrupt` is set.
 */
public class Checkpoint internal constructor(
    private val reader: RunReader,
    private val entry: ManifestEntry,
    /** Whether the manifest marks this checkpoint as the best. */
    public val isBest: Boolean,
    /** Whether this is the run's resume point ([Checkpoints.resumePoint]) rather than a listed checkpoint. */
    public val isResumePoint: Boolean = false,
) {
    /** Path relative to the run directory, `/`-separated. */
    public val path: String get() = entry.path

    /** Where the checkpoint is: a local directory, or an `s3://` location. */
    public val location: String get() = reader.store.describe(entry.path)

    /**
     * The checkpoint's local directory, for tools that read KotlinDL's files themselves.
     *
     * @throws IllegalStateException for a run that is not on a local file system
     */
    public val directory: Path get() = (reader.store as? FileRunStore)?.directory(entry.path, entry.checkpointSha256)
        ?: throw IllegalStateException("checkpoint $location is not in a local directory; read it through loadModel or loadWeightsInto")

    /** 1-based epoch number. */
    public val epoch: Int get() = entry.facts.epoch

    /** 1-based batch number of a batch-level save, or null for an epoch-end save. */
    public val batch: Int? get() = entry.facts.batch

    /** Global training batch count at the save. */
    public val step: Long get() = entry.facts.step

    /** The logs at the save (loss, metrics, validation metrics). */
    public val metrics: Map<String, Double> get() = entry.facts.metrics

    /** Weights only, or the full model with optimizer state. */
    public val kind: CheckpointKind get() = entry.facts.kind

    /** Whether this is the last committed checkpoint of the run. */
    public val isLatest: Boolean get() = entry.path == reader.manifest.latest

    /** The monitored metric's name when it was saved, or null when the policy had none recorded. */
    public val monitor: String? get() = entry.facts.monitor

    /** The monitored metric's value at the save (what keep-best ranks by), or null when it was not logged. */
    public val monitorValue: Double? get() = entry.facts.monitorValue

    /** When the save was decided, by the training's clock (the callback's `clock` option). */
    public val createdAt: Instant get() = entry.facts.createdAt

    /** The KotlinDL model class a full checkpoint rebuilds (`Sequential`), or null when not recorded. */
    public val modelClass: String? get() = entry.facts.modelClass

    /**
     * SHA-256 of the checkpoint's `checkpoint.json` as the manifest recorded it: identifies exactly this version
     * of the checkpoint (its metadata lists every other file's SHA-256).
     */
    public val metadataSha256: String get() = entry.checkpointSha256

    /**
     * The files of the checkpoint as its `checkpoint.json` records them (model files, sorted by path; not
     * `checkpoint.json` itself). Reads that file, checked against the manifest; the files themselves are not
     * re-hashed ([verify] does that).
     *
     * @throws CorruptRunException when `checkpoint.json` is missing, changed since the commit, or malformed
     */
    @Throws(IOException::class)
    public fun files(): List<StoredFile> = reader.metadata(entry).files.map { StoredFile(it.path, it.size, it.sha256) }

    /**
     * Bytes the checkpoint takes: its files' sizes as recorded at the commit, plus `checkpoint.json`. For disk
     * usage listings; it deliberately does not walk the directory (files ckpt did not write are not counted).
     *
     * @throws CorruptRunException when `checkpoint.json` is missing, changed since the commit, or malformed
     */
    @Throws(IOException::class)
    public fun sizeBytes(): Long = reader.storedMetadata(entry).let { stored -> stored.size + stored.metadata.files.sumOf { it.size } }

    /** Re-hashes every file of this checkpoint and reports the first problem, or [CheckpointStatus.Ok]. */
    @Throws(IOException::class)
    public fun verify(): CheckpointStatus = reader.verify(entry)

    /**
     * Loads this checkpoint's weights into [model], which must be built and compiled with the same layers. With
     * [withOptimizerState], a full checkpoint also restores the optimizer's state (Adam's moments...), so that
     * `fit` continues exactly; the model must then be compiled with the same optimizer.
     *
     * @throws IOException when a file is corrupt or missing (unless [allowCorrupt]) or cannot be read
     * @throws IllegalArgumentException when the model's variables do not match the checkpoint's, or
     *   [withOptimizerState] is asked of a weights-only checkpoint
     */
    @JvmOverloads
    @Throws(IOException::class)
    public fun loadWeightsInto(model: GraphTrainableModel, withOptimizerState: Boolean = false, allowCorrupt: Boolean = false) {
        checkIntact(allowCorrupt)
        NativeFormatReader.loadWeightsInto(model, modelFiles(), withOptimizerState)
    }

    /**
     * Rebuilds the model saved in this full checkpoint, of the class it was saved from (`Sequential` or
     * `Functional`): reads its configuration, lets [compile] compile it (KotlinDL stores no optimizer or loss
     * configuration), then loads its weights and optimizer state, so the model predicts as it did and `fit`
     * continues exactly. Callers who know the class use [loadSequential] or [loadFunctional] for a typed result.
     *
     * ```kotlin
     * val model = checkpoint.loadModel { it.compile(Adam(), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY) }
     * if (model is Functional) println(model.layers.size)
     * ```
     *
     * @throws IllegalStateException when this is a weights-only checkpoint, or it records a model class ckpt cannot rebuild
     * @throws IOException when a file is corrupt or missing (unless [allowCorrupt]) or cannot be read
     */
    @JvmOverloads
    @Throws(IOException::class)
    public fun loadModel(compile: ModelCompiler<GraphTrainableModel>, allowCorrupt: Boolean = false): GraphTrainableModel =
        load(savedType(), compile, allowCorrupt)

    /**
     * [loadModel] for a checkpoint of a [Sequential] model.
     *
     * @throws IllegalStateException when the checkpoint holds another kind of model, or weights only
     * @throws IOException when a file is corrupt or missing (unless [allowCorrupt]) or cannot be read
     */
    @JvmOverloads
    @Throws(IOException::class)
    public fun loadSequential(compile: ModelCompiler<Sequential>, allowCorrupt: Boolean = false): Sequential =
        load(expect(ModelType.SequentialModel, "loadSequential"), compile, allowCorrupt)

    /**
     * [loadModel] for a checkpoint of a [Functional] model (layers wired by their inputs, such as skip connections).
     *
     * @throws IllegalStateException when the checkpoint holds another kind of model, or weights only
     * @throws IOException when a file is corrupt or missing (unless [allowCorrupt]) or cannot be read
     */
    @JvmOverloads
    @Throws(IOException::class)
    public fun loadFunctional(compile: ModelCompiler<Functional>, allowCorrupt: Boolean = false): Functional =
        load(expect(ModelType.FunctionalModel, "loadFunctional"), compile, allowCorrupt)

    private fun <M : GraphTrainableModel> load(type: ModelType<M>, compile: ModelCompiler<M>, allowCorrupt: Boolean): M {
        checkIntact(allowCorrupt)
        return NativeFormatReader.loadModel(modelFiles(), type, true, compile)
    }

    /** The class this full checkpoint rebuilds. */
    private fun savedType(): ModelType<GraphTrainableModel> {
        check(kind == CheckpointKind.FULL) {
            "checkpoint $path holds weights only (saveWeightsOnly = true), not a full model; build and compile " +
                "the model in code and call loadWeightsInto(model) instead"
        }
        val recorded = entry.facts.modelClass
        return ModelType.ofRecorded(recorded) ?: throw IllegalStateException(
            "checkpoint $path records model class '$recorded', which ckpt cannot rebuild (it rebuilds " +
                ModelType.all.joinToString(" and ") { it.className } + " models); build and compile the model in code and call " +
                "loadWeightsInto(model) instead",
        )
    }

    private fun <M : GraphTrainableModel> expect(type: ModelType<M>, call: String): ModelType<M> {
        val saved = savedType()
        check(saved == type) {
            "$call: checkpoint $path holds a ${saved.className} model, not a ${type.className} one; call " +
                "load${saved.className}(compile), or loadModel(compile), which returns the saved kind"
        }
        return type
    }

    internal fun modelFiles(): ModelFiles = object : ModelFiles {
        override val where: String get() = location

        override fun read(name: String): ByteArray? = try {
            reader.store.readFile(entry.path, entry.checkpointSha256, name)
        } catch (e: NoSuchFileException) {
            null
        }
    }

    private fun checkIntact(allowCorrupt: Boolean) {
        if (allowCorrupt) return
        when (val status = reader.verify(entry)) {
            CheckpointStatus.Ok -> Unit
            is CheckpointStatus.Corrupt -> throw IOException(
                "checkpoint $path is corrupt: ${status.file} should have sha256 ${status.expected} but has ${status.actual}; " +
                    "refusing to load it (pass allowCorrupt = true to load anyway)",
            )
            is CheckpointStatus.Incomplete -> throw IOException(
                "checkpoint $path is incomplete: ${status.missingFile} is missing; refusing to load it",
            )
            CheckpointStatus.Missing -> throw IOException("checkpoint $path is missing: $location does not exist")
        }
    }

    override fun toString(): String = "Checkpoint($path, epoch $epoch, step $step, $kind${if (isBest) ", best" else ""}, $metrics)"
}

/**
 * Compiles a model rebuilt from a checkpoint with the optimizer, loss and metrics it was trained with: KotlinDL
 * saves none of them.
 *
 * ```kotlin
 * run.best().loadModel { it.compile(Adam(), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY) }
 * run.best().loadSequential(DigitsModel::compile)    // fun compile(model: Sequential) or (model: GraphTrainableModel)
 * ```
 * ```java
 * GraphTrainableModel any = best.loadModel(m -> m.compile(new Adam(), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY));
 * Sequential sequential = best.loadSequential(DigitsModel::compile);
 * ```
 *
 * [M] is the model type the compiler accepts: a compiler of any [GraphTrainableModel] serves [Checkpoint.loadModel],
 * [Checkpoint.loadSequential] and [Checkpoint.loadFunctional]; one written for `Sequential` serves
 * [Checkpoint.loadSequential] only, since the checkpoint may hold another kind. It deliberately does not build the
 * model: the checkpoint's configuration does.
 */
public fun interface ModelCompiler<in M : GraphTrainableModel> {
    /** Compiles [model] with the optimizer, loss and metrics it was trained with. */
    public fun compile(model: M)
}

package dev.ckpt

import dev.ckpt.kotlindl.ModelFiles
import dev.ckpt.kotlindl.NativeFormatReader
import dev.ckpt.storage.FileRunStore
import dev.ckpt.storage.ManifestEntry
import dev.ckpt.storage.RunReader
import dev.ckpt.storage.RunStore
import dev.ckpt.storage.S3Location
import dev.ckpt.storage.S3Support
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.jetbrains.kotlinx.dl.api.core.Sequential
import java.io.IOException
import java.nio.file.NoSuchFileException
import java.nio.file.Path

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
 * half-written one.
 */
public class Checkpoints private constructor(private val reader: RunReader) {
    /** The run: a local directory, or an `s3://` location. */
    public val location: String get() = reader.store.location

    /** Every checkpoint the manifest lists, oldest first. */
    public val all: List<Checkpoint> = reader.checkpoints.map { Checkpoint(reader, it, it.path == reader.manifest.best) }

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

    /** Re-hashes every file of every checkpoint. */
    @Throws(IOException::class)
    public fun verify(): VerifyReport = reader.verify()

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
        public fun open(location: String): Checkpoints =
            if (S3Location.isS3(location)) open(S3Support.store(location)) else open(Path.of(location))

        internal fun open(store: RunStore): Checkpoints = Checkpoints(RunReader.open(store))
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
        NativeFormatReader.loadWeightsInto(model, files(), withOptimizerState)
    }

    /**
     * Rebuilds the model saved in this full checkpoint: reads its configuration, lets [compile] compile it
     * (KotlinDL stores no optimizer or loss configuration), then loads its weights and optimizer state, so the
     * model predicts as it did and `fit` continues exactly.
     *
     * @throws IllegalStateException when this is a weights-only checkpoint
     * @throws IOException when a file is corrupt or missing (unless [allowCorrupt]) or cannot be read
     */
    @JvmOverloads
    @Throws(IOException::class)
    public fun loadModel(compile: ModelCompiler, allowCorrupt: Boolean = false): Sequential {
        check(kind == CheckpointKind.FULL) {
            "checkpoint $path holds weights only (saveWeightsOnly = true), not a full model; build and compile " +
                "the model in code and call loadWeightsInto(model) instead"
        }
        checkIntact(allowCorrupt)
        return NativeFormatReader.loadModel(files(), true, compile)
    }

    internal fun files(): ModelFiles = object : ModelFiles {
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

/** Compiles a model rebuilt from a checkpoint (Java-friendly: `model -> model.compile(...)`). */
public fun interface ModelCompiler {
    /** Compiles [model] with the optimizer, loss and metrics it was trained with. */
    public fun compile(model: Sequential)
}

package dev.ckpt

import dev.ckpt.kotlindl.ModelFiles
import dev.ckpt.kotlindl.ModelType
import dev.ckpt.kotlindl.NativeFormatReader
import dev.ckpt.storage.FileRunStore
import dev.ckpt.storage.ManifestEntry
import dev.ckpt.storage.RunReader
import org.jetbrains.kotlinx.dl.api.core.Functional
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.jetbrains.kotlinx.dl.api.core.Sequential
import java.io.IOException
import java.nio.file.NoSuchFileException
import java.nio.file.Path
import java.time.Instant

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
 * [LoadOption.ALLOW_CORRUPT] is passed.
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
     * [LoadOption.WITH_OPTIMIZER_STATE], a full checkpoint also restores the optimizer's state (Adam's moments...),
     * so that `fit` continues exactly; the model must then be compiled with the same optimizer.
     *
     * ```kotlin
     * best.loadWeightsInto(model)
     * latest.loadWeightsInto(model, LoadOption.WITH_OPTIMIZER_STATE, LoadOption.ALLOW_CORRUPT)
     * ```
     *
     * @throws IOException when a file is corrupt or missing (unless [LoadOption.ALLOW_CORRUPT]) or cannot be read
     * @throws IllegalArgumentException when the model's variables do not match the checkpoint's, or
     *   [LoadOption.WITH_OPTIMIZER_STATE] is asked of a weights-only checkpoint
     */
    @Throws(IOException::class)
    public fun loadWeightsInto(model: GraphTrainableModel, vararg options: LoadOption) {
        checkIntact(LoadOption.ALLOW_CORRUPT in options)
        NativeFormatReader.loadWeightsInto(model, modelFiles(), LoadOption.WITH_OPTIMIZER_STATE in options)
    }

    /**
     * Rebuilds the model saved in this full checkpoint, of the class it was saved from (`Sequential` or
     * `Functional`): reads its configuration, lets [compile] compile it (KotlinDL stores no optimizer or loss
     * configuration), then loads its weights and optimizer state, so the model predicts as it did and `fit`
     * continues exactly. Callers who know the class use [loadSequential] or [loadFunctional] for a typed result.
     *
     * ```kotlin
     * val model = checkpoint.loadModel({ it.compile(Adam(), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY) })
     * if (model is Functional) println(model.layers.size)
     * ```
     *
     * [options] may hold [LoadOption.ALLOW_CORRUPT]; the optimizer state always comes back, so
     * [LoadOption.WITH_OPTIMIZER_STATE] is refused as meaningless here.
     *
     * @throws IllegalStateException when this is a weights-only checkpoint, or it records a model class ckpt cannot rebuild
     * @throws IOException when a file is corrupt or missing (unless [LoadOption.ALLOW_CORRUPT]) or cannot be read
     */
    @Throws(IOException::class)
    public fun loadModel(compile: ModelCompiler<GraphTrainableModel>, vararg options: LoadOption): GraphTrainableModel =
        load("loadModel", { savedType() }, compile, options)

    /**
     * [loadModel] for a checkpoint of a [Sequential] model.
     *
     * @throws IllegalStateException when the checkpoint holds another kind of model, or weights only
     * @throws IOException when a file is corrupt or missing (unless [LoadOption.ALLOW_CORRUPT]) or cannot be read
     */
    @Throws(IOException::class)
    public fun loadSequential(compile: ModelCompiler<Sequential>, vararg options: LoadOption): Sequential =
        load("loadSequential", { expect(ModelType.SequentialModel, "loadSequential") }, compile, options)

    /**
     * [loadModel] for a checkpoint of a [Functional] model (layers wired by their inputs, such as skip connections).
     *
     * @throws IllegalStateException when the checkpoint holds another kind of model, or weights only
     * @throws IOException when a file is corrupt or missing (unless [LoadOption.ALLOW_CORRUPT]) or cannot be read
     */
    @Throws(IOException::class)
    public fun loadFunctional(compile: ModelCompiler<Functional>, vararg options: LoadOption): Functional =
        load("loadFunctional", { expect(ModelType.FunctionalModel, "loadFunctional") }, compile, options)

    private inline fun <M : GraphTrainableModel> load(
        call: String,
        type: () -> ModelType<M>,
        compile: ModelCompiler<M>,
        options: Array<out LoadOption>,
    ): M {
        require(LoadOption.WITH_OPTIMIZER_STATE !in options) {
            "$call: WITH_OPTIMIZER_STATE is for loadWeightsInto; $call always restores the optimizer state of a full " +
                "checkpoint (valid here: ALLOW_CORRUPT)"
        }
        val saved = type()
        checkIntact(LoadOption.ALLOW_CORRUPT in options)
        return NativeFormatReader.loadModel(modelFiles(), saved, true, compile)
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
                    "refusing to load it (pass LoadOption.ALLOW_CORRUPT to load anyway)",
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
 * run.best().loadModel({ it.compile(Adam(), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY) })
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

package dev.ckpt.kotlindl

import dev.ckpt.CheckpointKind
import dev.ckpt.ModelCompiler
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import java.io.IOException
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.NoSuchFileException
import java.nio.file.Path

/** The files of one checkpoint in KotlinDL's layout, wherever they are stored. */
internal interface ModelFiles {
    /** The checkpoint, for messages. */
    val where: String

    /** The bytes of [name], or null when the checkpoint has no such file. */
    @Throws(IOException::class)
    fun read(name: String): ByteArray?
}

/** A checkpoint directory on any file system (ckpt's, or one KotlinDL's `save` wrote). */
internal class DirectoryFiles(private val dir: Path) : ModelFiles {
    override val where: String get() = dir.toString()

    override fun read(name: String): ByteArray? {
        val file = dir.resolve(name)
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) return null
        return Files.readAllBytes(file)
    }
}

/**
 * Reads checkpoints in KotlinDL 0.4.0's `JSON_CONFIG_CUSTOM_VARIABLES` layout: ckpt's own and those KotlinDL's
 * `save` wrote. It checks the whole checkpoint against the model before assigning anything, so a mismatch
 * leaves the model untouched. It does not choose which checkpoint to load, verify checksums, or read
 * `graph.pb` (the `TF_GRAPH` formats).
 */
internal object NativeFormatReader {
    /** What [files] hold: [CheckpointKind.FULL] when there is a model configuration, else [CheckpointKind.WEIGHTS]. */
    fun kindOf(files: ModelFiles): CheckpointKind {
        readVariableNames(files)
        return if (files.read(NativeLayout.MODEL_CONFIG) != null) CheckpointKind.FULL else CheckpointKind.WEIGHTS
    }

    /**
     * Assigns the checkpoint's layer variables, and optimizer variables when [loadOptimizerState], to [model],
     * which must be compiled; it may be fresh or already trained.
     *
     * @throws IllegalArgumentException if a layer variable is missing on either side or has another shape, or
     *   [loadOptimizerState] is asked of a checkpoint without (matching) optimizer state
     * @throws IllegalStateException if the model is not compiled
     * @throws IOException if a file is missing or holds something other than floats
     */
    fun loadWeightsInto(model: GraphTrainableModel, files: ModelFiles, loadOptimizerState: Boolean) {
        check(KotlinDlAccess.isCompiled(model)) {
            "model ${model.name} is not compiled; compile() it before loading weights from ${files.where}"
        }
        val names = readVariableNames(files)
        val (optimizerNames, layerNames) = names.partition(NativeLayout::isOptimizerVariable)
        requireSameNames("layer", layerNames, KotlinDlAccess.layerVariableNames(model), model, files)
        if (loadOptimizerState) {
            require(optimizerNames.isNotEmpty()) {
                "loadOptimizerState: checkpoint ${files.where} holds no optimizer state (it is a weights-only checkpoint); " +
                    "load it with loadOptimizerState = false"
            }
            requireSameNames("optimizer", optimizerNames, KotlinDlAccess.optimizerVariableNames(model), model, files)
        }
        val toLoad = if (loadOptimizerState) layerNames + optimizerNames else layerNames
        val values = toLoad.map { readVariable(model, files, it) }
        KotlinDlAccess.assignVariables(model, values, loadOptimizerState)
    }

    /**
     * Rebuilds the model of [type] that a full checkpoint describes, lets [compiler] compile it, and loads its
     * weights, and its optimizer state when [loadOptimizerState], so that `fit` continues where it stopped.
     *
     * @throws IllegalArgumentException if [files] are weights-only (no `modelConfig.json`), or the configuration or
     *   variables do not fit the compiled model
     * @throws IllegalStateException if [compiler] did not compile the model
     */
    fun <M : GraphTrainableModel> loadModel(files: ModelFiles, type: ModelType<M>, loadOptimizerState: Boolean, compiler: ModelCompiler<M>): M {
        val config = files.read(NativeLayout.MODEL_CONFIG)
        if (config == null) {
            readVariableNames(files)
            throw IllegalArgumentException(
                "checkpoint ${files.where} is weights-only (it has no ${NativeLayout.MODEL_CONFIG}), so it cannot rebuild a model; " +
                    "build and compile the model yourself, then load its weights into it",
            )
        }
        val model = type.fromConfig(String(config, Charsets.UTF_8))
        try {
            compiler.compile(model)
            check(KotlinDlAccess.isCompiled(model)) {
                "the ModelCompiler passed to loadModel returned without compiling model ${model.name}; call model.compile(...) in it"
            }
            loadWeightsInto(model, files, loadOptimizerState)
        } catch (e: Throwable) {
            model.close()
            throw e
        }
        return model
    }

    private fun readVariableNames(files: ModelFiles): List<String> {
        val bytes = files.read(NativeLayout.VARIABLE_NAMES) ?: throw NoSuchFileException(
            files.where + "/" + NativeLayout.VARIABLE_NAMES, null, "not a KotlinDL checkpoint: ${NativeLayout.VARIABLE_NAMES} is missing",
        )
        return String(bytes, Charsets.UTF_8).lines().filter { it.isNotEmpty() }
    }

    private fun requireSameNames(kind: String, inCheckpoint: List<String>, inModel: List<String>, model: GraphTrainableModel, files: ModelFiles) {
        val missing = inModel - inCheckpoint.toSet()
        val unknown = inCheckpoint - inModel.toSet()
        require(missing.isEmpty() && unknown.isEmpty()) {
            buildString {
                append("checkpoint ${files.where} does not match model ${model.name}: ")
                if (unknown.isNotEmpty()) append("$kind variables $unknown are not in the model")
                if (unknown.isNotEmpty() && missing.isNotEmpty()) append("; ")
                if (missing.isNotEmpty()) append("model $kind variables $missing are not in the checkpoint")
                append(" (model has $inModel)")
            }
        }
    }

    private fun readVariable(model: GraphTrainableModel, files: ModelFiles, name: String): VariableValue {
        NativeLayout.requireFileSafe(name)
        val fileName = NativeLayout.variableFile(name)
        val shape = KotlinDlAccess.declaredShape(model, name)
            ?: throw IllegalArgumentException("variable $name is listed by model ${model.name} but has no graph operation")
        val expected = VariableValue.elementCount(shape)
        val bytes = files.read(fileName) ?: throw NoSuchFileException(
            files.where + "/" + fileName, null, "variable $name is listed in ${NativeLayout.VARIABLE_NAMES} but its file is missing",
        )
        val found = FloatText.count(bytes)
        require(found.toLong() == expected) {
            "variable $name: model ${model.name} expects shape ${shape.contentToString()} ($expected values), " +
                "but $fileName in ${files.where} holds $found values"
        }
        return VariableValue(name, shape, FloatText.parse(bytes, found, fileName))
    }
}

package dev.ckpt.kotlindl

import dev.ckpt.storage.CheckpointKind
import dev.ckpt.ModelCompiler

import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.jetbrains.kotlinx.dl.api.core.Sequential
import java.io.IOException
import java.nio.file.Files
import java.nio.file.NoSuchFileException
import java.nio.file.Path

/**
 * Reads checkpoints in KotlinDL 0.4.0's `JSON_CONFIG_CUSTOM_VARIABLES` layout through [Path]: ckpt's own and
 * those KotlinDL's `save` wrote.
 *
 * ```kotlin
 * NativeFormatReader.loadWeightsInto(model, Checkpoint.dir)                       // any checkpoint
 * val resumed = NativeFormatReader.loadModel(dir) { it.compile(Adam(), loss, metric) } // full checkpoints
 * ```
 *
 * It checks the whole checkpoint against the model before assigning anything, so a mismatch leaves the
 * model untouched. It does not choose which checkpoint to load, verify checksums, or read `graph.pb`
 * (the `TF_GRAPH` formats); it rebuilds [Sequential] models only, since `modelConfig.json` does not say
 * whether a model was Sequential or Functional.
 */
public object NativeFormatReader {
    /**
     * What the checkpoint in [dir] holds: [CheckpointKind.FULL] when it has a model configuration, else
     * [CheckpointKind.WEIGHTS].
     *
     * @throws IOException if [dir] holds no `variableNames.txt`
     */
    @JvmStatic
    @Throws(IOException::class)
    public fun kindOf(dir: Path): CheckpointKind {
        readVariableNames(dir)
        return if (Files.isRegularFile(dir.resolve(NativeLayout.MODEL_CONFIG))) CheckpointKind.FULL else CheckpointKind.WEIGHTS
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
    @JvmStatic
    @JvmOverloads
    @Throws(IOException::class)
    public fun loadWeightsInto(model: GraphTrainableModel, dir: Path, loadOptimizerState: Boolean = false) {
        check(KotlinDlAccess.isCompiled(model)) {
            "model ${model.name} is not compiled; compile() it before loading weights from $dir"
        }
        val names = readVariableNames(dir)
        val (optimizerNames, layerNames) = names.partition(NativeLayout::isOptimizerVariable)
        requireSameNames("layer", layerNames, KotlinDlAccess.layerVariableNames(model), model, dir)
        if (loadOptimizerState) {
            require(optimizerNames.isNotEmpty()) {
                "loadOptimizerState: checkpoint $dir holds no optimizer state (it is a weights-only checkpoint); " +
                    "load it with loadOptimizerState = false"
            }
            requireSameNames("optimizer", optimizerNames, KotlinDlAccess.optimizerVariableNames(model), model, dir)
        }
        val toLoad = if (loadOptimizerState) layerNames + optimizerNames else layerNames
        val values = toLoad.map { readVariable(model, dir, it) }
        KotlinDlAccess.assignVariables(model, values, loadOptimizerState)
    }

    /**
     * Rebuilds the [Sequential] model a full checkpoint describes, lets [compiler] compile it, and loads its
     * weights and optimizer state, so that `fit` continues where it stopped.
     *
     * @throws IllegalArgumentException if [dir] is a weights-only checkpoint (no `modelConfig.json`), or its
     *   configuration or variables do not fit the compiled model
     * @throws IllegalStateException if [compiler] did not compile the model
     * @throws IOException if a file is missing or unreadable
     */
    @JvmStatic
    @Throws(IOException::class)
    public fun loadModel(dir: Path, compiler: ModelCompiler): Sequential = loadModel(dir, true, compiler)

    /**
     * As [loadModel], loading the optimizer state only when [loadOptimizerState]; pass `false` to use the model
     * for inference or to train it with another optimizer.
     */
    @JvmStatic
    @Throws(IOException::class)
    public fun loadModel(dir: Path, loadOptimizerState: Boolean, compiler: ModelCompiler): Sequential {
        val configFile = dir.resolve(NativeLayout.MODEL_CONFIG)
        if (!Files.isRegularFile(configFile)) {
            readVariableNames(dir)
            throw IllegalArgumentException(
                "checkpoint $dir is weights-only (it has no ${NativeLayout.MODEL_CONFIG}), so it cannot rebuild a model; " +
                    "build and compile the model yourself, then call NativeFormatReader.loadWeightsInto(model, dir)",
            )
        }
        val model = KotlinDlAccess.sequentialFromConfigJson(Files.readString(configFile, Charsets.UTF_8))
        compiler.compile(model)
        check(KotlinDlAccess.isCompiled(model)) {
            "the ModelCompiler passed to loadModel returned without compiling model ${model.name}; call model.compile(...) in it"
        }
        loadWeightsInto(model, dir, loadOptimizerState)
        return model
    }

    private fun readVariableNames(dir: Path): List<String> {
        val file = dir.resolve(NativeLayout.VARIABLE_NAMES)
        val text = try {
            Files.readString(file, Charsets.UTF_8)
        } catch (e: NoSuchFileException) {
            throw NoSuchFileException(
                file.toString(), null,
                "not a KotlinDL checkpoint: ${NativeLayout.VARIABLE_NAMES} is missing",
            ).also { it.initCause(e) }
        }
        return text.lines().filter { it.isNotEmpty() }
    }

    private fun requireSameNames(kind: String, inCheckpoint: List<String>, inModel: List<String>, model: GraphTrainableModel, dir: Path) {
        val missing = inModel - inCheckpoint.toSet()
        val unknown = inCheckpoint - inModel.toSet()
        require(missing.isEmpty() && unknown.isEmpty()) {
            buildString {
                append("checkpoint $dir does not match model ${model.name}: ")
                if (unknown.isNotEmpty()) append("$kind variables $unknown are not in the model")
                if (unknown.isNotEmpty() && missing.isNotEmpty()) append("; ")
                if (missing.isNotEmpty()) append("model $kind variables $missing are not in the checkpoint")
                append(" (model has $inModel)")
            }
        }
    }

    private fun readVariable(model: GraphTrainableModel, dir: Path, name: String): VariableValue {
        NativeLayout.requireFileSafe(name)
        val fileName = NativeLayout.variableFile(name)
        val shape = KotlinDlAccess.declaredShape(model, name)
            ?: throw IllegalArgumentException("variable $name is listed by model ${model.name} but has no graph operation")
        val expected = VariableValue.elementCount(shape)
        val bytes = Files.readAllBytes(dir.resolve(fileName))
        val found = FloatText.count(bytes)
        require(found.toLong() == expected) {
            "variable $name: model ${model.name} expects shape ${shape.contentToString()} ($expected values), " +
                "but $fileName in $dir holds $found values"
        }
        return VariableValue(name, shape, FloatText.parse(bytes, found, fileName))
    }
}

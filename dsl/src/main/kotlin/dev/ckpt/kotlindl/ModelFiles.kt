package dev.ckpt.kotlindl

import dev.ckpt.ModelCompiler
import dev.ckpt.storage.CheckpointKind
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.jetbrains.kotlinx.dl.api.core.Sequential
import java.io.IOException
import java.nio.file.Path

/** The model files of one checkpoint, in KotlinDL 0.4.0's native layout, through `java.nio.file.Path`. */
internal object ModelFiles {
    /** Writes [model]'s weights (and configuration and optimizer state when [full]) into the empty directory [dir]. */
    @Throws(IOException::class)
    internal fun write(model: GraphTrainableModel, dir: Path, full: Boolean) {
        NativeFormatWriter.write(model, dir, if (full) CheckpointKind.FULL else CheckpointKind.WEIGHTS)
    }

    /** Loads the weights in [dir] (and optimizer state when [withOptimizer]) into a compiled [model], trained or not. */
    @Throws(IOException::class)
    internal fun loadWeightsInto(model: GraphTrainableModel, dir: Path, withOptimizer: Boolean) {
        NativeFormatReader.loadWeightsInto(model, dir, withOptimizer)
    }

    /** Rebuilds the model in [dir], compiles it with [compile], and loads weights and optimizer state. */
    @Throws(IOException::class)
    internal fun loadModel(dir: Path, compile: ModelCompiler): Sequential = NativeFormatReader.loadModel(dir, compile)
}

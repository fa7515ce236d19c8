package dev.ckpt.kotlindl

import org.jetbrains.kotlinx.dl.api.core.Sequential

/**
 * Compiles a model that [NativeFormatReader.loadModel] rebuilt from its configuration.
 *
 * ```kotlin
 * val model = NativeFormatReader.loadModel(dir) { it.compile(Adam(), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY) }
 * ```
 *
 * KotlinDL's `modelConfig.json` holds the layers only, not the optimizer, loss or metrics, so the caller
 * supplies them. To restore optimizer state, compile with the same optimizer type the checkpoint was trained with.
 */
public fun interface ModelCompiler {
    /** Calls one of [Sequential.compile]'s overloads on [model]. */
    public fun compile(model: Sequential)
}

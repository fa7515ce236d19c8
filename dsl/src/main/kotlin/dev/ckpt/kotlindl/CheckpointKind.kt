package dev.ckpt.kotlindl

/**
 * What a checkpoint directory holds, in KotlinDL's native layout.
 *
 * ```kotlin
 * NativeFormatWriter.write(model, dir, CheckpointKind.FULL)
 * ```
 *
 * It says nothing about where or when a checkpoint is written; that is the storage layer's job.
 */
public enum class CheckpointKind {
    /** `variableNames.txt` and one file per layer variable: enough for `loadWeightsInto` an already built model. */
    WEIGHTS,

    /**
     * Also `modelConfig.json` and the optimizer's variables: enough to rebuild the model and resume training,
     * as KotlinDL's `save(dir, JSON_CONFIG_CUSTOM_VARIABLES, saveOptimizerState = true)` writes it.
     */
    FULL,
}

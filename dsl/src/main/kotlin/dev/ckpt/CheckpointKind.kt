package dev.ckpt

/**
 * What a checkpoint holds: [WEIGHTS] only, or the [FULL] model (configuration, weights, optimizer state).
 *
 * Stored as `"weights"` or `"full"` in `checkpoint.json` and `manifest.json`.
 *
 * ```kotlin
 * val full = Checkpoints.open("runs/digits").all.filter { it.kind == CheckpointKind.FULL }
 * ```
 *
 * It deliberately says nothing about the file format of the model files: KotlinDL's native layout in both cases.
 */
public enum class CheckpointKind {
    /** Weights only (`saveWeightsOnly = true`). */
    WEIGHTS,

    /** Configuration, weights and optimizer state: what resuming needs. */
    FULL,
}

package dev.ckpt.storage

import kotlinx.serialization.SerialName
import kotlinx.serialization.Serializable

/**
 * What a checkpoint holds: [WEIGHTS] only, or the [FULL] model (configuration, weights, optimizer state).
 *
 * Stored as `"weights"` or `"full"` in `checkpoint.json` and `manifest.json`.
 *
 * ```kotlin
 * val info = CheckpointInfo(kind = CheckpointKind.FULL, epoch = 3, step = 300)
 * ```
 *
 * It deliberately says nothing about the file format of the model files: the caller's writer decides that.
 */
@Serializable
public enum class CheckpointKind {
    /** Weights only (KotlinDL `saveWeightsOnly`). */
    @SerialName("weights")
    WEIGHTS,

    /** Configuration, weights and optimizer state. */
    @SerialName("full")
    FULL,
}

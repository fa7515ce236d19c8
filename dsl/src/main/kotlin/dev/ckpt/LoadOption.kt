package dev.ckpt

/**
 * How [Checkpoint]'s loads treat a checkpoint, named instead of positional booleans; pass any of them after the
 * model or compiler.
 *
 * ```kotlin
 * run.latest().loadWeightsInto(model, LoadOption.WITH_OPTIMIZER_STATE)
 * ```
 * ```java
 * run.latest().loadWeightsInto(model, LoadOption.WITH_OPTIMIZER_STATE, LoadOption.ALLOW_CORRUPT);
 * ```
 *
 * Without any, a load restores weights only ([Checkpoint.loadWeightsInto]) and refuses a checkpoint whose files do
 * not match their recorded SHA-256.
 */
public enum class LoadOption {
    /**
     * [Checkpoint.loadWeightsInto] also restores a full checkpoint's optimizer state (Adam's moments...), so that
     * `fit` continues exactly. Refused by the `load...Model` calls, which always restore it.
     */
    WITH_OPTIMIZER_STATE,

    /** Load even when a file's SHA-256 does not match the one recorded at the commit (a damaged copy, on purpose). */
    ALLOW_CORRUPT,
}

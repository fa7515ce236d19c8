package dev.ckpt

/**
 * What the callback does when writing a checkpoint fails (disk full, read-only directory, any I/O
 * error). Either way the half-written checkpoint is removed and earlier checkpoints stay intact.
 */
public enum class SaveErrorAction {
    /** Rethrow: `fit` stops with the error (the default). */
    STOP,

    /** Log the error loudly and keep training; the next save point tries again. */
    WARN_AND_CONTINUE,
}

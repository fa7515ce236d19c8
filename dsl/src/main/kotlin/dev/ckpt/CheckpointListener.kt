package dev.ckpt

/**
 * Receives the callback's decision messages as plain text, in addition to SLF4J: every save, every
 * "did not improve" (when verbose) and every warning. Handy in notebooks and scripts.
 *
 * ```kotlin
 * checkpoint("runs/x/e{epoch:02d}") { verbose = true; onMessage { println(it) } }
 * ```
 */
public fun interface CheckpointListener {
    /** Called on the training thread with one Keras-style message, e.g. `Epoch 3: val_loss improved from 0.3120 to 0.2950, saving model to runs/x/e03`. */
    public fun onMessage(message: String)
}

package dev.ckpt

import dev.ckpt.core.policy.CheckpointPolicy
import java.nio.file.Path
import java.time.Clock

/**
 * The Java entry point: builds the checkpoint callback from a core [CheckpointPolicy].
 *
 * ```java
 * CheckpointPolicy policy = CheckpointPolicy.builder("runs/digits/e{epoch:02d}")
 *         .monitor("val_accuracy").mode(Mode.MAX).saveBestOnly(true).build();
 * CheckpointCallback saver = Ckpt.callback(policy);
 * CheckpointCallback resumed = Ckpt.callback(policy, Ckpt.options().resume(true));
 * model.fit(train, valid, 10, 32, 32, List.of(saver));
 * Checkpoint best = Checkpoints.open("runs/digits").best();
 * ```
 *
 * Kotlin code uses [checkpoint] instead; both produce the same callback.
 */
public object Ckpt {
    /** A callback that applies [policy] with default options (new run, working directory, system clock). */
    @JvmStatic
    public fun callback(policy: CheckpointPolicy): CheckpointCallback = callback(policy, options())

    /** A callback that applies [policy] with [options]. */
    @JvmStatic
    public fun callback(policy: CheckpointPolicy, options: Options): CheckpointCallback =
        CheckpointCallback(policy, CallbackOptions(options.resume, options.directory, options.clock, options.onSaveError, options.listener))

    /** Fresh callback options with their defaults. */
    @JvmStatic
    public fun options(): Options = Options()

    /** Callback options that are not part of the decision policy; each setter returns this builder. */
    public class Options internal constructor() {
        internal var resume: Boolean = false
        internal var directory: Path = Path.of("")
        internal var clock: Clock = Clock.systemUTC()
        internal var onSaveError: SaveErrorAction = SaveErrorAction.STOP
        internal var listener: CheckpointListener? = null

        /** Continue the run found in the run directory. */
        public fun resume(resume: Boolean): Options = apply { this.resume = resume }

        /** The directory relative filepaths are resolved against. */
        public fun directory(directory: Path): Options = apply { this.directory = directory }

        /** The clock for wall-time saving and timestamps. */
        public fun clock(clock: Clock): Options = apply { this.clock = clock }

        /** What happens when writing a checkpoint fails. */
        public fun onSaveError(action: SaveErrorAction): Options = apply { this.onSaveError = action }

        /** Receives each decision message too (e.g. `System.out::println`). */
        public fun listener(listener: CheckpointListener): Options = apply { this.listener = listener }
    }
}

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
 * resumed.fit(model, train, valid, 10, 32, 32, List.of());   // the run up to 10 epochs, no batch trained twice
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
        CheckpointCallback(policy, CallbackOptions(options.resume, options.directory, options.clock, options.onSaveError, options.listener, options.async))

    /** Callback options with their defaults. */
    @JvmStatic
    public fun options(): Options = Options.DEFAULTS

    /**
     * Callback options that are not part of the decision policy. Immutable: each method returns a copy with one
     * setting changed, so an `Options` value can be shared.
     *
     * ```java
     * Ckpt.Options base = Ckpt.options().directory(Path.of("/data"));
     * Ckpt.callback(policy, base.resume(true));   // base is unchanged
     * ```
     */
    public class Options private constructor(
        internal val resume: Boolean,
        internal val directory: Path,
        internal val clock: Clock,
        internal val onSaveError: SaveErrorAction,
        internal val listener: CheckpointListener?,
        internal val async: Boolean,
    ) {
        /** Continue the run found in the run directory (inside an epoch too, through [CheckpointCallback.fit]). */
        public fun resume(resume: Boolean): Options = Options(resume, directory, clock, onSaveError, listener, async)

        /** The directory relative filepaths are resolved against. */
        public fun directory(directory: Path): Options = Options(resume, directory, clock, onSaveError, listener, async)

        /** The clock for wall-time saving and timestamps. */
        public fun clock(clock: Clock): Options = Options(resume, directory, clock, onSaveError, listener, async)

        /** What happens when writing a checkpoint fails. */
        public fun onSaveError(action: SaveErrorAction): Options = Options(resume, directory, clock, action, listener, async)

        /** Receives each decision message too (e.g. `System.out::println`). */
        public fun listener(listener: CheckpointListener): Options = Options(resume, directory, clock, onSaveError, listener, async)

        /** Write checkpoints on a background thread (true, the default) or on the training thread (false). */
        public fun async(async: Boolean): Options = Options(resume, directory, clock, onSaveError, listener, async)

        internal companion object {
            val DEFAULTS = Options(false, Path.of(""), Clock.systemUTC(), SaveErrorAction.STOP, null, true)
        }
    }
}

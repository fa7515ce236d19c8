package dev.ckpt

import dev.ckpt.core.policy.CheckpointPolicy
import java.nio.file.Path
import java.time.Clock
import java.time.Duration

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
        CheckpointCallback(
            policy,
            CallbackOptions(
                options.resume, options.directory, options.clock, options.onSaveError, options.listener, options.async,
                options.stopOn, options.stopDeadline,
            ),
        )

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
        internal val stopOn: Set<StopSignal>,
        internal val stopDeadline: Duration,
    ) {
        private fun copy(
            resume: Boolean = this.resume,
            directory: Path = this.directory,
            clock: Clock = this.clock,
            onSaveError: SaveErrorAction = this.onSaveError,
            listener: CheckpointListener? = this.listener,
            async: Boolean = this.async,
            stopOn: Set<StopSignal> = this.stopOn,
            stopDeadline: Duration = this.stopDeadline,
        ): Options = Options(resume, directory, clock, onSaveError, listener, async, stopOn, stopDeadline)

        /** Continue the run found in the run directory (inside an epoch too, through [CheckpointCallback.fit]). */
        public fun resume(resume: Boolean): Options = copy(resume = resume)

        /** The directory relative filepaths are resolved against. */
        public fun directory(directory: Path): Options = copy(directory = directory)

        /** The clock for wall-time saving and timestamps. */
        public fun clock(clock: Clock): Options = copy(clock = clock)

        /** What happens when writing a checkpoint fails. */
        public fun onSaveError(action: SaveErrorAction): Options = copy(onSaveError = action)

        /** Receives each decision message too (e.g. `System.out::println`). */
        public fun listener(listener: CheckpointListener): Options = copy(listener = listener)

        /** Write checkpoints on a background thread (true, the default) or on the training thread (false). */
        public fun async(async: Boolean): Options = copy(async = async)

        /** The signals that stop training at the next batch end with `resume(true)` (default SIGTERM and SIGINT; see [CheckpointSpec.stopOn]). */
        public fun stopOn(signals: Set<StopSignal>): Options = copy(stopOn = signals.toSet())

        /**
         * How long a stop signal's shutdown waits for the stop's commit (default 25 s; see [CheckpointSpec.stopDeadline]).
         *
         * @throws IllegalArgumentException when [deadline] is zero or negative
         */
        public fun stopDeadline(deadline: Duration): Options {
            require(!deadline.isNegative && !deadline.isZero) { "stopDeadline: must be positive, got $deadline" }
            return copy(stopDeadline = deadline)
        }

        internal companion object {
            val DEFAULTS = Options(
                false, Path.of(""), Clock.systemUTC(), SaveErrorAction.STOP, null, true,
                CallbackOptions.DEFAULT_STOP_ON, CallbackOptions.DEFAULT_STOP_DEADLINE,
            )
        }
    }
}

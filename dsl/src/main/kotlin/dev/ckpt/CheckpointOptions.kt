package dev.ckpt

import dev.ckpt.core.monitor.Direction
import dev.ckpt.core.monitor.MetricDirections
import dev.ckpt.core.monitor.Mode
import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.core.policy.KerasSuffix
import dev.ckpt.core.policy.MissingMonitor
import dev.ckpt.core.policy.Retention
import dev.ckpt.core.policy.SaveFrequency
import java.nio.file.Path
import java.time.Clock
import java.time.Duration

/**
 * The options of a checkpoint callback, in both languages: the receiver of Kotlin's [checkpoint] block and what
 * Java's `Ckpt.checkpoint(path, options -> ...)` hands its lambda. Policy defaults are the core's
 * ([CheckpointPolicy.builder]: Keras's `monitor = "val_loss"`, `mode = AUTO`, save every epoch, keep everything,
 * plus skipping a best-only save when the monitored value is missing); the callback's own are written here (stop on
 * a save error, background saves, refuse to start over an existing run unless [resume] is set).
 *
 * ```kotlin
 * checkpoint("runs/digits/e{epoch:02d}-{val_accuracy:.3f}") {
 *     monitor = "val_accuracy"
 *     mode = MAX
 *     saveBestOnly = true
 *     saveFrequency = everyEpoch()
 *     keepBest = 3
 *     keepLast = 2
 * }
 * ```
 * ```java
 * CheckpointCallback saver = Ckpt.checkpoint("runs/digits/e{epoch:02d}-{val_accuracy:.3f}", options -> {
 *     options.setMonitor("val_accuracy");
 *     options.setMode(Mode.MAX);
 *     options.setSaveBestOnly(true);
 * });
 * ```
 *
 * Every option is checked when the block ends; cross-option rules (for example `{batch}` in the path
 * with per-epoch saving) fail there too, with a message naming the option.
 */
@CkptDsl
public class CheckpointOptions internal constructor(
    /** The filepath template (Python `str.format` syntax), e.g. `runs/x/e{epoch:02d}-{val_loss:.2f}`. */
    public var filepath: String,
) {
    /**
     * The metric that decides "best" (Keras `monitor`), as logged: `loss`, `val_loss`, `accuracy`, `val_accuracy`...
     * A monitor set here must be logged by the model (checked when training begins); the default `val_loss` may be
     * absent when nothing relies on it (a warning says so).
     */
    public var monitor: String = DEFAULTS.monitor().metric()
        set(value) {
            field = value
            monitorSet = true
        }
    private var monitorSet = false

    /** MIN, MAX or AUTO (Keras `mode`); AUTO infers from the name and refuses names it cannot place. */
    public var mode: Mode = DEFAULTS.mode()

    /** An improvement must beat the best by more than this (Keras `min_delta` of EarlyStopping). */
    public var minDelta: Double = DEFAULTS.monitor().minDelta()

    /** Save only when the monitored metric improves (Keras `save_best_only`). */
    public var saveBestOnly: Boolean = DEFAULTS.saveBestOnly()

    /** Weights only (true) or the full model with optimizer state (false, the default; needed for [resume]). */
    public var saveWeightsOnly: Boolean = DEFAULTS.saveWeightsOnly()

    /** When to consider saving (Keras `save_freq`, TF 2.4 `period`): [everyEpoch], [everyEpochs], [everyBatches] or [every]. */
    public var saveFrequency: SaveFrequency = DEFAULTS.saveFrequency()

    /** The value the first checkpoint must beat (Keras `initial_value_threshold`); null for none. */
    public var initialValueThreshold: Double? = DEFAULTS.initialValueThreshold()

    /** Keep the K best checkpoints by the monitored value (null: no such rule). */
    public var keepBest: Int? = DEFAULTS.retention().keepBest()

    /** Keep the N most recent checkpoints (null: no such rule). */
    public var keepLast: Int? = DEFAULTS.retention().keepLast()

    /** Keep every checkpoint of epochs 1*M, 2*M, ... (null: no such rule). */
    public var keepEveryNthEpoch: Int? = DEFAULTS.retention().keepEveryNthEpoch()

    /**
     * Keep one checkpoint per span for good, e.g. `keepOnePer = Duration.ofHours(6)` (TF `keep_checkpoint_every_n_hours`;
     * null: no such rule). The run's first checkpoint starts the chain; each next one kept is the first saved at
     * least the span after the previous one, by [clock]. A zero or negative span is refused when the block ends.
     */
    public var keepOnePer: Duration? = DEFAULTS.retention().keepOnePer()

    /** What a best-only save does when the monitored value is missing; default skip and warn. */
    public var onMissingMonitor: MissingMonitor = DEFAULTS.missingMonitor()

    /**
     * What a filepath ending in `.h5`, `.hdf5`, `.keras` or `.weights.h5` becomes: KotlinDL's native format is a
     * directory, so by default the path is kept and a warning says so once; [KerasSuffix.STRIP] drops the suffix.
     */
    public var kerasSuffix: KerasSuffix = DEFAULTS.kerasSuffix()

    /** What happens when writing a checkpoint fails. */
    public var onSaveError: SaveErrorAction = SaveErrorAction.STOP

    /** Log each decision (Keras `verbose=1`), through SLF4J logger `dev.ckpt`. */
    public var verbose: Boolean = DEFAULTS.verbose()

    /**
     * Continue the run found in the run directory: restore the engine state and the newest committed state (the
     * resume point, or else the latest checkpoint). Through [CheckpointCallback.fit], a run stopped inside an epoch
     * continues at that epoch's next batch; `model.fit` starts the epoch over.
     *
     * It also keeps a resume point: where the policy saves nothing (a save-best-only epoch that did not improve),
     * ckpt commits one full checkpoint apart from the monitored ones, never best, not counted by retention, and a
     * stop request ([stopOn], [CheckpointCallback.requestStop]) commits one at the next batch end before training
     * stops. A finished run keeps its last resume point, so that a longer `fit` continues from the last epoch.
     */
    public var resume: Boolean = false

    /**
     * With `resume = true`, the signals that stop training at the next batch end after committing a resume point:
     * SIGTERM and SIGINT by default (the JVM then exits as it would: code 143 for SIGTERM, 130 for SIGINT); add
     * SIGUSR1 or SIGUSR2 for a scheduler's early warning (SLURM `--signal=B:USR1@60`), which stop training and let
     * `fit` return, the JVM going on. An empty set handles no signal.
     */
    public var stopOn: Set<StopSignal> = setOf(StopSignal.SIGTERM, StopSignal.SIGINT)

    /**
     * How long the shutdown that SIGTERM or SIGINT starts waits for the stop's resume point to commit; past it the
     * JVM exits and the run stays at its previous committed state, intact. Default 25 s, under Kubernetes' default
     * `terminationGracePeriodSeconds` of 30. Must be positive.
     */
    public var stopDeadline: Duration = Duration.ofSeconds(25)

    /** The directory relative paths are resolved against; default the working directory. Any file system. */
    public var directory: Path = Path.of("")

    /** The clock for wall-time saving and timestamps. */
    public var clock: Clock = Clock.systemUTC()

    /**
     * Write checkpoints on a background thread (true, the default) or on the training thread (false). In the
     * background, the training thread only copies the model's variables; at most one save is in flight, and a
     * failure surfaces at the next training event or at train end.
     */
    public var async: Boolean = true

    private var listener: CheckpointListener? = null

    /**
     * Sends each message the callback logs to [listener] too, e.g. `onMessage { println(it) }` (Java:
     * `options.onMessage(System.out::println)`); a later call replaces an earlier one.
     */
    public fun onMessage(listener: CheckpointListener) {
        this.listener = listener
    }

    private val directions = LinkedHashMap<String, Direction>()

    /** Lower is better. */
    public val MIN: Mode get() = Mode.MIN

    /** Higher is better. */
    public val MAX: Mode get() = Mode.MAX

    /** Infer from the metric name. */
    public val AUTO: Mode get() = Mode.AUTO

    /** Save at every epoch end (Keras `save_freq="epoch"`). */
    public fun everyEpoch(): SaveFrequency = SaveFrequency.everyEpoch()

    /**
     * Save at the end of epochs [epochs], 2×[epochs], ... by epoch number (TF 2.4 `period`), also across a resume:
     * `saveFrequency = everyEpochs(5)` saves after epochs 5, 10, 15. With [saveBestOnly], the best is judged only at
     * those epochs. Refused when [epochs] < 1.
     */
    public fun everyEpochs(epochs: Int): SaveFrequency = SaveFrequency.everyEpochs(epochs)

    /** Save every [batches] training batches, counted across epochs (Keras integer `save_freq`). */
    public fun everyBatches(batches: Int): SaveFrequency = SaveFrequency.everyBatches(batches)

    /** Save at the first batch end after [interval] of wall time. */
    public fun every(interval: Duration): SaveFrequency = SaveFrequency.every(interval)

    /** Declares the direction of a custom metric so that `mode = AUTO` can use it. */
    public fun metricDirection(name: String, direction: Direction) {
        directions[name] = direction
    }

    internal fun policy(): CheckpointPolicy = CheckpointPolicy.builder(filepath)
        .apply { if (monitorSet) monitor(monitor) }
        .mode(mode)
        .minDelta(minDelta)
        .saveBestOnly(saveBestOnly)
        .saveWeightsOnly(saveWeightsOnly)
        .saveFrequency(saveFrequency)
        .initialValueThreshold(initialValueThreshold)
        .retention(Retention(keepBest, keepLast, keepEveryNthEpoch, keepOnePer))
        .onMissingMonitor(onMissingMonitor)
        .verbose(verbose)
        .kerasSuffix(kerasSuffix)
        .metricDirections(MetricDirections.builtIn().with(directions))
        .build()

    /** The callback these options describe; the policy and the callback options are checked here. */
    internal fun callback(): CheckpointCallback =
        CheckpointCallback(policy(), CallbackOptions(resume, directory, clock, onSaveError, listener, async, stopOn.toSet(), stopDeadline))

    private companion object {
        /** The core's policy defaults, read rather than restated: the options start from them. */
        val DEFAULTS: CheckpointPolicy = CheckpointPolicy.builder("defaults/checkpoint").build()
    }
}


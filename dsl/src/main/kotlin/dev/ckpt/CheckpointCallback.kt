package dev.ckpt

import dev.ckpt.core.engine.EngineState
import dev.ckpt.core.engine.RunCheckpoints
import dev.ckpt.core.policy.CheckpointPolicy
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.BatchTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.EpochTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory

/**
 * The KotlinDL callback that [checkpoint] (or [Ckpt.callback] from Java) returns: it feeds training events to
 * ckpt's decision engine and carries out its saves, atomically, in KotlinDL's native format.
 *
 * ```kotlin
 * val saver = checkpoint("runs/x/e{epoch:02d}") { saveBestOnly = true; monitor = "val_accuracy"; mode = MAX }
 * model.fit(trainingDataset = train, validationDataset = valid, epochs = 10, callbacks = listOf(saver))
 * saver.saved.forEach { println(it) }
 * ```
 *
 * Checkpoints are written on a background thread by default: at a save point the training thread only copies the
 * model's variables (one consistent step) and goes on; at most one save is in flight, and the next save point first
 * waits for it. A failed background save is reported at the next training event (per `onSaveError`), and train end
 * (and [close]) waits for the last one. `async = false` writes on the training thread instead.
 *
 * One instance serves one `fit` call at a time; it holds the run's lock from train begin to train end. It never
 * deletes a file it did not write, and never the best or the latest checkpoint. It is not meant to be
 * subclassed or called directly: pass it to `fit`.
 */
public class CheckpointCallback internal constructor(
    /** The decision policy. */
    public val policy: CheckpointPolicy,
    private val options: CallbackOptions,
) : Callback(), AutoCloseable {
    private val messages = Messages(options.listener)
    private var session: TrainingSession? = null
    private val savedPaths = ArrayList<String>()
    private var finished = SaveStats.NONE

    /** The run: the directory (or `s3://` location) that holds `manifest.json`. */
    public val runLocation: String get() = options.location(policy)

    /** Paths (as the template formats them) of the checkpoints this callback has committed, in order. */
    public val saved: List<String> get() = savedPaths.toList()

    /** What saving has cost so far, across this callback's `fit` calls. */
    public val stats: SaveStats get() = finished + (session?.stats() ?: SaveStats.NONE)

    /**
     * Waits for a save still in flight and releases the run, as train end does; for a `fit` that did not end
     * normally (an exception thrown by another callback, say). Does nothing when no training is in progress.
     *
     * @throws java.io.IOException when the last save failed and `onSaveError` is `STOP`
     */
    override fun close() {
        val active = session ?: return
        session = null
        try {
            active.close()
        } finally {
            finished += active.stats()
        }
    }

    /** The engine's counters and kept checkpoints as the training in progress sees them; null outside `fit`. */
    internal fun engineView(): Pair<EngineState, RunCheckpoints>? = session?.engineView()

    override fun onTrainBegin() {
        close()
        session = TrainingSession.open(this, policy, options, messages, savedPaths)
    }

    override fun onEpochBegin(epoch: Int, logs: TrainingHistory) {
        event { it.onEpochBegin(epoch) }
    }

    override fun onTrainBatchEnd(batch: Int, batchSize: Int, event: BatchTrainingEvent, logs: TrainingHistory) {
        event { it.onBatchEnd(batch, event) }
    }

    override fun onEpochEnd(epoch: Int, event: EpochTrainingEvent, logs: TrainingHistory) {
        event { it.onEpochEnd(epoch, event) }
    }

    override fun onTrainEnd(logs: TrainingHistory) {
        close()
    }

    /**
     * An exception leaving a callback ends `fit` without `onTrainEnd`: release the run (its lock) first, or the run
     * would stay locked for the rest of this JVM's life and a retry in the same process would be refused.
     */
    private inline fun event(action: (TrainingSession) -> Unit) {
        val active = session ?: error("checkpoint callback: training event before onTrainBegin")
        try {
            action(active)
        } catch (e: Throwable) {
            session = null
            active.abort(e)
            finished += active.stats()
            throw e
        }
    }
}

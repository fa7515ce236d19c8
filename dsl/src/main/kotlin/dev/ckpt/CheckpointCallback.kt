package dev.ckpt

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
 * One instance serves one `fit` call at a time; it holds the run's lock from train begin to train end. It never
 * deletes a file it did not write, and never the best or the latest checkpoint. It is not meant to be
 * subclassed or called directly: pass it to `fit`.
 */
public class CheckpointCallback internal constructor(
    /** The decision policy. */
    public val policy: CheckpointPolicy,
    private val options: CallbackOptions,
) : Callback() {
    private val messages = Messages(options.listener)
    private var session: TrainingSession? = null
    private val savedPaths = ArrayList<String>()

    init {
        // Build-time notes of the policy (a Keras suffix on a path that will be a directory): said once, up front.
        policy.warnings().forEach(messages::warn)
    }

    /** The run: the directory (or `s3://` location) that holds `manifest.json`. */
    public val runLocation: String get() = options.location(policy)

    /** Paths (as the template formats them) of the checkpoints this callback has committed, in order. */
    public val saved: List<String> get() = savedPaths.toList()

    override fun onTrainBegin() {
        session?.close()
        session = null
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
        val active = session ?: return
        session = null
        active.close()
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
            throw e
        }
    }
}

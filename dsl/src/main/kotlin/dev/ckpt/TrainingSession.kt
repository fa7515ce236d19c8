package dev.ckpt

import dev.ckpt.core.engine.CheckpointEngine
import dev.ckpt.core.engine.Decision
import dev.ckpt.core.engine.EngineState
import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.kotlindl.ModelSnapshot
import dev.ckpt.kotlindl.Models
import dev.ckpt.storage.CheckpointFacts
import dev.ckpt.storage.RunChange
import dev.ckpt.storage.RunWriter
import dev.ckpt.storage.StoredEngineState
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.jetbrains.kotlinx.dl.api.core.history.BatchTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.EpochTrainingEvent
import java.io.IOException
import java.time.Instant

/**
 * One `fit` call of a [CheckpointCallback]: the decision engine, the run's writer, and the model. A save reads
 * top-down: the engine decides (proposing a plan), the model is snapshotted on the training thread, the
 * snapshot is committed by the [SaveQueue] (on this thread or the background writer), and only then does the
 * engine apply the plan, on the training thread, at the next event or save point.
 */
internal class TrainingSession private constructor(
    private val policy: CheckpointPolicy,
    private val options: CallbackOptions,
    private val writer: RunWriter,
    private val engine: CheckpointEngine,
    private val model: GraphTrainableModel,
    private val names: LoggedNames,
    private val messages: Messages,
    private val saved: MutableList<String>,
) : AutoCloseable {
    private val queue: SaveQueue<SaveOutcome> =
        if (options.async) SaveQueue.Background(writer.location) else SaveQueue.Inline()

    // KotlinDL numbers epochs from 1 in every fit call; the engine counts from 0 across resumes.
    private val epochOffset = engine.state().completedEpochs()
    private val configuration: String? by lazy { ModelSnapshot.configurationOf(model) }
    private val kind = if (policy.saveWeightsOnly()) CheckpointKind.WEIGHTS else CheckpointKind.FULL
    private val history = EpochHistory(writer, options.clock)

    fun onEpochBegin(kotlinDlEpoch: Int) {
        settle(queue.poll())
        engine.onEpochBegin(engineEpoch(kotlinDlEpoch))
    }

    fun onBatchEnd(batch: Int, event: BatchTrainingEvent) {
        settle(queue.poll())
        if (engine.batchEnded(batch)) {
            settle(queue.await())
            carryOut(engine.decide(names.batchLogs(event)))
        }
    }

    fun onEpochEnd(kotlinDlEpoch: Int, event: EpochTrainingEvent) {
        settle(queue.poll())
        val logs = names.epochLogs(event)
        if (engine.epochEnded(engineEpoch(kotlinDlEpoch))) {
            settle(queue.await())
            carryOut(engine.decide(logs))
        }
        history.epochEnded(engineEpoch(kotlinDlEpoch) + 1, engine.state().globalStep(), logs)?.let { failed(it, "history.jsonl was not updated") }
    }

    /** Waits for the save in flight, reports it, and releases the run; errors surface per `onSaveError`. */
    override fun close() {
        try {
            settle(queue.await())
        } finally {
            queue.close()
            writer.close()
        }
    }

    /** Closes without reporting: the training already failed with another error. */
    fun abort(failure: Throwable) {
        try {
            queue.await()
        } catch (e: Throwable) {
            failure.addSuppressed(e)
        } finally {
            queue.close()
            try {
                writer.close()
            } catch (e: Throwable) {
                failure.addSuppressed(e)
            }
        }
    }

    private fun engineEpoch(kotlinDlEpoch: Int): Int = epochOffset + kotlinDlEpoch - 1

    private fun carryOut(decision: Decision) {
        when (decision) {
            is Decision.Save -> save(decision)
            is Decision.Skip -> if (decision.reason() == Decision.Reason.MISSING_MONITOR) {
                messages.warn(decision.message())
            } else if (policy.verbose()) {
                messages.info(decision.message())
            }
            else -> Unit
        }
    }

    private fun save(save: Decision.Save) {
        if (policy.verbose()) messages.info(save.message())
        val snapshot = ModelSnapshot.take(model, kind, if (kind == CheckpointKind.FULL) configuration else null)
        history.saving(save.checkpoint().path())
        queue.submit { commit(save, snapshot) }
        settle(queue.poll()) // an inline save is done already
    }

    /** On the writer: files, checkpoint.json, one manifest write, then the released checkpoints' files. */
    private fun commit(save: Decision.Save, snapshot: ModelSnapshot): SaveOutcome = try {
        val plan = save.plan()
        val facts = CheckpointFacts(
            kind = snapshot.kind, epoch = save.epoch(), batch = save.batch(), step = save.step(), metrics = save.metrics(),
            monitor = save.monitor(), monitorValue = save.monitorValue(), best = save.newBest(), createdAt = Instant.EPOCH,
            modelClass = snapshot.modelClass,
        )
        writer.commit(
            save.checkpoint().path(), facts, snapshot.files(),
            RunChange(plan.after().bestPath(), plan.released().map { it.path() }, stored(plan.state())),
        )
        SaveOutcome.Committed(save, writer.release())
    } catch (e: Throwable) {
        SaveOutcome.Failed(save, e)
    }

    private fun settle(outcome: SaveOutcome?) {
        when (outcome) {
            null -> Unit
            is SaveOutcome.Committed -> {
                engine.apply(outcome.save)
                saved += outcome.save.path()
                messages.debug("committed ${outcome.save.path()}")
                if (policy.verbose()) {
                    for (released in outcome.save.plan().released()) {
                        messages.info("Retention released ${released.path()} (${policy.retention().summary()})")
                    }
                }
                outcome.releaseErrors.firstOrNull()?.let { failed(it, "releasing checkpoints failed") }
                outcome.releaseErrors.drop(1).forEach { messages.error(it.message ?: it.toString(), null) }
            }
            is SaveOutcome.Failed -> {
                history.notSaved(outcome.save.checkpoint().path())
                val e = outcome.error
                if (e !is IOException) throw e
                failed(e, "saving ${outcome.save.path()} failed")
            }
        }
    }

    private fun failed(e: IOException, what: String) {
        if (options.onSaveError == SaveErrorAction.STOP) throw e
        messages.error("$what; training continues (onSaveError = WARN_AND_CONTINUE): ${e.message}", e)
    }

    private sealed class SaveOutcome {
        abstract val save: Decision.Save

        class Committed(override val save: Decision.Save, val releaseErrors: List<IOException>) : SaveOutcome()

        class Failed(override val save: Decision.Save, val error: Throwable) : SaveOutcome()
    }

    companion object {
        /** Opens the run for writing (recovering, resuming) and checks the policy against the model's metrics. */
        fun open(owner: CheckpointCallback, policy: CheckpointPolicy, options: CallbackOptions, messages: Messages, saved: MutableList<String>): TrainingSession {
            val model = Models.boundTo(owner)
            val names = LoggedNames(Models.metricNames(model))
            val writer = RunWriter.open(options.store(policy), policy.fingerprint(), options.clock, log = messages::info)
            try {
                val engine = Resume.engineFor(policy, options, writer, model, messages)
                engine.onTrainBegin(names.all).forEach(messages::warn)
                return TrainingSession(policy, options, writer, engine, model, names, messages, saved)
            } catch (e: Throwable) {
                writer.close()
                throw e
            }
        }

        private fun stored(s: EngineState): StoredEngineState = StoredEngineState(
            s.currentEpoch(), s.completedEpochs(), s.lastBatchSeen(), s.batchesSinceSave(), s.globalStep(), s.best(),
            s.intervalAnchorMillis(),
        )
    }
}

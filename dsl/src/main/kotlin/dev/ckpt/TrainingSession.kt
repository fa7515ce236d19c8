package dev.ckpt

import dev.ckpt.core.engine.CheckpointEngine
import dev.ckpt.core.engine.Decision
import dev.ckpt.core.engine.EngineState
import dev.ckpt.core.engine.RunCheckpoints
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
import java.util.concurrent.TimeUnit

/**
 * One `fit` call of a [CheckpointCallback]: the decision engine, the run's writer, and the model. A save reads
 * top-down: the engine decides (proposing a plan), the model is snapshotted on the training thread, the snapshot
 * is committed by the [SaveQueue] (on the background writer, or on this thread), and only then does the engine apply
 * the plan — on the training thread, at the next event or save point. At most one save is in flight: a save point
 * first waits for the previous save, because its decision (is this the new best? what does retention keep?)
 * depends on that save's outcome.
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

    /** A JVM exit while a save is in flight waits (a bounded time) for it, so that a finished save is not lost. */
    private val shutdownHook: Thread? = if (options.async) Thread({ awaitOnShutdown() }, "ckpt-shutdown ${writer.location}") else null

    private var stats = SaveStats.NONE

    @Volatile
    private var writeNanos = 0L

    init {
        shutdownHook?.let { Runtime.getRuntime().addShutdownHook(it) }
    }

    fun engineView(): Pair<EngineState, RunCheckpoints> = engine.state() to engine.checkpoints()

    /** What saving cost in this `fit` so far. */
    fun stats(): SaveStats = stats.copy(writeNanos = writeNanos, waitNanos = queue.waitNanos)

    fun onEpochBegin(kotlinDlEpoch: Int) {
        settle(queue.poll())
        engine.onEpochBegin(engineEpoch(kotlinDlEpoch))
    }

    fun onBatchEnd(batch: Int, event: BatchTrainingEvent) {
        settle(queue.poll())
        if (engine.batchEnded(batch)) savePoint { names.batchLogs(event) }
    }

    fun onEpochEnd(kotlinDlEpoch: Int, event: EpochTrainingEvent) {
        settle(queue.poll())
        val logs = names.epochLogs(event)
        if (engine.epochEnded(engineEpoch(kotlinDlEpoch))) savePoint { logs }
        history.epochEnded(engineEpoch(kotlinDlEpoch) + 1, engine.state().globalStep(), logs)?.let { failed(it, "history.jsonl was not updated") }
    }

    /** Waits for the save in flight, reports it, and releases the run; errors surface per `onSaveError`. */
    override fun close() {
        try {
            settle(queue.await())
        } finally {
            release()
        }
    }

    /** Closes without reporting: the training already failed with another error. */
    fun abort(failure: Throwable) {
        try {
            queue.await()
        } catch (e: Throwable) {
            failure.addSuppressed(e)
        } finally {
            try {
                release()
            } catch (e: Throwable) {
                failure.addSuppressed(e)
            }
        }
    }

    private fun release() {
        try {
            queue.close()
            writer.close()
        } finally {
            shutdownHook?.let {
                try {
                    Runtime.getRuntime().removeShutdownHook(it)
                } catch (e: IllegalStateException) {
                    // The JVM is already shutting down: the hook is running or has run.
                }
            }
        }
    }

    private fun awaitOnShutdown() {
        try {
            (queue as? SaveQueue.Background)?.awaitQuietly(SHUTDOWN_WAIT_SECONDS, TimeUnit.SECONDS)
        } catch (e: Throwable) {
            // Exiting anyway: an unfinished commit leaves only what the next writer recognises and cleans up.
        }
    }

    private fun engineEpoch(kotlinDlEpoch: Int): Int = epochOffset + kotlinDlEpoch - 1

    private inline fun savePoint(logs: () -> Map<String, Double>) {
        val started = System.nanoTime()
        val waitedBefore = queue.waitNanos
        settle(queue.await())
        val waited = queue.waitNanos - waitedBefore
        when (val decision = engine.decide(logs())) {
            is Decision.Save -> save(decision, waited)
            is Decision.Skip -> if (decision.reason() == Decision.Reason.MISSING_MONITOR) {
                messages.warn(decision.message())
            } else if (policy.verbose()) {
                messages.info(decision.message())
            }
            else -> Unit
        }
        stats = stats.copy(trainingThreadNanos = stats.trainingThreadNanos + System.nanoTime() - started)
    }

    private fun save(save: Decision.Save, waitedNanos: Long) {
        if (policy.verbose()) {
            messages.info(save.message() + if (waitedNanos >= REPORTED_WAIT_NANOS) " (after waiting ${waitedNanos / 1_000_000} ms for the previous save)" else "")
        }
        val snapshot = ModelSnapshot.take(model, kind, if (kind == CheckpointKind.FULL) configuration else null)
        history.saving(save.checkpoint().path())
        queue.submit { commit(save, snapshot) }
        settle(queue.poll()) // an inline save is done already
    }

    /** On the writer: files, checkpoint.json, one manifest write, then the released checkpoints' files. */
    private fun commit(save: Decision.Save, snapshot: ModelSnapshot): SaveOutcome {
        val started = System.nanoTime()
        return try {
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
        } finally {
            writeNanos += System.nanoTime() - started
        }
    }

    private fun settle(outcome: SaveOutcome?) {
        when (outcome) {
            null -> Unit
            is SaveOutcome.Committed -> {
                engine.apply(outcome.save)
                saved += outcome.save.path()
                stats = stats.copy(saves = stats.saves + 1)
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
                stats = stats.copy(failures = stats.failures + 1)
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
        /** Waits worth telling the user about (verbose messages). */
        private const val REPORTED_WAIT_NANOS = 1_000_000L

        /** How long a JVM exit waits for the save in flight. */
        private const val SHUTDOWN_WAIT_SECONDS = 60L

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

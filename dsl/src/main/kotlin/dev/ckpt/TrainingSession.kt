package dev.ckpt

import dev.ckpt.core.engine.CheckpointEngine
import dev.ckpt.core.engine.Decision
import dev.ckpt.core.engine.EngineState
import dev.ckpt.core.engine.RunCheckpoints
import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.kotlindl.ModelSnapshot
import dev.ckpt.kotlindl.Models
import dev.ckpt.storage.CheckpointFacts
import dev.ckpt.storage.DataFacts
import dev.ckpt.storage.ManifestEntry
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
 * One `fit` call of a [CheckpointCallback] (or one [CheckpointCallback.fit], which may make two): the decision engine,
 * the run's writer, and the model. A save reads top-down: the engine decides (proposing a plan), the model is
 * snapshotted on the training thread, the snapshot is committed by the [SaveQueue] (on the background writer, or on
 * this thread), and only then does the engine apply the plan — on the training thread, at the next event or save
 * point. At most one save is in flight: a save point first waits for the previous save, because its decision (is
 * this the new best? what does retention keep?) depends on that save's outcome.
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
    private val beforeCommit: ((String) -> Unit)?,
) : AutoCloseable {
    private val queue: SaveQueue<SaveOutcome> =
        if (options.async) SaveQueue.Background(writer.location) else SaveQueue.Inline()

    // KotlinDL numbers epochs from 1 and batches from 0 in every fit call; the engine counts across calls and resumes.
    private var position = FitPosition.continuing(engine.state())
    private var kotlinDlEpoch = 1
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
        this.kotlinDlEpoch = kotlinDlEpoch
        engine.onEpochBegin(engineEpoch(kotlinDlEpoch))
    }

    /** The epoch's training losses so far (KotlinDL's batch events carry only the batch's own loss). */
    private var epochLossSum = 0.0

    fun onBatchEnd(batch: Int, event: BatchTrainingEvent) {
        settle(queue.poll())
        if (batch == 0) epochLossSum = 0.0
        epochLossSum += event.lossValue
        val lossSum = epochLossSum
        if (engine.batchEnded(position.engineBatch(kotlinDlEpoch, batch))) savePoint { names.batchLogs(event, batch + 1, lossSum) }
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


    /** The next `fit` call of this session (see [CheckpointCallback.fit]) starts at [position]. */
    fun beginFit(position: FitPosition) {
        this.position = position
        kotlinDlEpoch = 1
    }

    /** The engine's counters now; right after [open], those the run was resumed from. */
    fun engineState(): EngineState = engine.state()

    /** The run's latest checkpoint, as the manifest lists it now. */
    fun latest(): ManifestEntry? = writer.manifest.latest?.let { writer.manifest.entry(it) }

    fun isFor(model: GraphTrainableModel): Boolean = model === this.model

    /**
     * Counts the end of the run's [engineEpoch] whose batches all trained before a resume. Only batch-level policies
     * commit inside an epoch, and they decide nothing at an epoch end.
     */
    fun epochEndedWithoutTraining(engineEpoch: Int) {
        check(!engine.epochEnded(engineEpoch)) { "an epoch-end save point for a run that was interrupted inside an epoch" }
    }

    private fun engineEpoch(kotlinDlEpoch: Int): Int = position.engineEpoch(kotlinDlEpoch)

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
        val data = if (save.batch() != null) position.dataFacts(kotlinDlEpoch) else null
        history.saving(save.checkpoint().path())
        queue.submit { commit(save, snapshot, data) }
        settle(queue.poll()) // an inline save is done already
    }

    /** On the writer: files, checkpoint.json, one manifest write, then the released checkpoints' files. */
    private fun commit(save: Decision.Save, snapshot: ModelSnapshot, data: DataFacts?): SaveOutcome {
        val started = System.nanoTime()
        return try {
            beforeCommit?.invoke(save.path())
            val plan = save.plan()
            val facts = CheckpointFacts(
                kind = snapshot.kind, epoch = save.epoch(), batch = save.batch(), step = save.step(), metrics = save.metrics(),
                monitor = save.monitor(), monitorValue = save.monitorValue(), best = save.newBest(), createdAt = save.checkpoint().createdAt(),
                modelClass = snapshot.modelClass, data = data,
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
        fun open(
            model: GraphTrainableModel,
            policy: CheckpointPolicy,
            options: CallbackOptions,
            messages: Messages,
            saved: MutableList<String>,
            beforeCommit: ((String) -> Unit)?,
        ): TrainingSession {
            val names = LoggedNames(Models.metricNames(model))
            val writer = RunWriter.open(options.store(policy), policy.fingerprint(), options.clock, log = messages::info)
            try {
                val engine = Resume.engineFor(policy, options, writer, model, messages)
                engine.onTrainBegin(names.all).forEach(messages::warn)
                return TrainingSession(policy, options, writer, engine, model, names, messages, saved, beforeCommit)
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

package dev.ckpt

import dev.ckpt.core.engine.CheckpointEngine
import dev.ckpt.core.engine.CheckpointRecord
import dev.ckpt.core.engine.Decision
import dev.ckpt.core.engine.EngineState
import dev.ckpt.core.engine.ResumePoint
import dev.ckpt.core.engine.RunCheckpoints
import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.kotlindl.ModelSnapshot
import dev.ckpt.kotlindl.Models
import dev.ckpt.kotlindl.SnapshotBuffers
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
import java.util.concurrent.TimeUnit

/**
 * One `fit` call of a [CheckpointCallback] (or one [CheckpointCallback.fit], which may make two): the decision engine,
 * the run's writer, and the model. A save reads top-down: the engine decides (proposing a plan), the model is
 * snapshotted on the training thread, the snapshot is committed by the [SaveQueue] (on the background writer, or on
 * this thread), and only then does the engine apply the plan — on the training thread, at the next event or save
 * point. At most one save is in flight: a save point first waits for the previous save, because its decision (is
 * this the new best? what does retention keep?) depends on that save's outcome.
 *
 * With `resume = true`, a save point where the policy saves nothing commits the run's resume point instead, through
 * the same steps; and a stop request is served at the next batch end (or, for an epoch's last batch, at the epoch's
 * end, so that a resumed run never has to end an epoch it cannot evaluate): a resume point of exactly that state,
 * committed before `model.stopTraining` is set.
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
    private val stop: StopControl,
) : AutoCloseable {
    private val queue: SaveQueue<SaveOutcome> =
        if (options.async) SaveQueue.Background(writer.location) else SaveQueue.Inline()

    // KotlinDL numbers epochs from 1 and batches from 0 in every fit call; the engine counts across calls and resumes.
    private var position = FitPosition.continuing(engine.state())
    private var kotlinDlEpoch = 1
    private val configuration: String? by lazy { ModelSnapshot.configurationOf(model) }
    private val kind = if (policy.saveWeightsOnly()) CheckpointKind.WEIGHTS else CheckpointKind.FULL
    private val history = EpochHistory(writer, options.clock)

    /**
     * The snapshots' host arrays, handed back by the writer after each commit; null allocates new arrays at every
     * save point (the benchmarks' comparison). Internal: tests check the reuse.
     */
    internal var buffers: SnapshotBuffers? = SnapshotBuffers()

    /**
     * A JVM exit while a save is in flight waits (a bounded time) for it, so that a finished save is not lost; one
     * that a stop signal started waits for the stop's commit, up to `stopDeadline`.
     */
    private val shutdownHook: Thread? =
        if (options.async || options.resume) Thread({ awaitOnShutdown() }, "ckpt-shutdown ${writer.location}") else null

    /** Set once a stop request was served: later events of the stopped `fit` (KotlinDL's partial epoch end) are not the run's. */
    private var stopped: StopReport? = null

    /** The newest committed state, for the message of a stop past its deadline (read by the shutdown hook). */
    @Volatile
    private var newestCommitted: String? = writer.manifest.newest()?.path

    private var stats = SaveStats.NONE

    @Volatile
    private var writeNanos = 0L

    /** How long the last commit took on the writer, for the warning that a stop could miss its deadline. */
    @Volatile
    var lastWriteNanos: Long = 0L
        private set

    private var warnedSlow = false

    init {
        shutdownHook?.let { Runtime.getRuntime().addShutdownHook(it) }
        stop.begin()
        if (options.resume) StopSignals.add(stop, options.stopOn, messages)
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
        if (stopped != null) return
        settle(queue.poll())
        if (batch == 0) epochLossSum = 0.0
        epochLossSum += event.lossValue
        val lossSum = epochLossSum
        val engineBatch = position.engineBatch(kotlinDlEpoch, batch)
        if (engine.batchEnded(engineBatch)) savePoint { names.batchLogs(event, batch + 1, lossSum) }
        val reason = stop.pending() ?: return
        // The epoch's last batch: its end (validation, the epoch's save point) comes next, and is where to stop.
        if (position.batchesPerEpoch()?.let { engineBatch + 1 >= it } == true) return
        serveStop(reason) { names.batchLogs(event, batch + 1, lossSum) }
    }

    fun onEpochEnd(kotlinDlEpoch: Int, event: EpochTrainingEvent) {
        // KotlinDL ends the epoch a stop interrupted (validation, onEpochEnd): not an epoch of the run.
        if (stopped != null) return
        settle(queue.poll())
        val logs = names.epochLogs(event)
        if (engine.epochEnded(engineEpoch(kotlinDlEpoch))) savePoint { logs }
        history.epochEnded(engineEpoch(kotlinDlEpoch) + 1, engine.state().globalStep(), logs)?.let { failed(it, "history.jsonl was not updated") }
        stop.pending()?.let { reason -> serveStop(reason) { logs } }
    }

    /**
     * Serves a stop request here: waits for the save in flight, commits a resume point of exactly this state (unless
     * that state is committed already), then sets `model.stopTraining`. A failed save stops training all the same;
     * the previous committed state stands, and the messages say so.
     */
    private fun serveStop(reason: String, logs: () -> Map<String, Double>) {
        val s = engine.state()
        val atEnd = s.completedEpochs() == s.currentEpoch() + 1
        val where = "epoch ${s.currentEpoch() + 1}" + if (atEnd) " end" else ", batch ${s.lastBatchSeen() + 1}"
        messages.info("stop: $reason received; saving at $where (step ${s.globalStep()}), then stopping")
        var point: String? = null
        try {
            settle(queue.await())
            if (!options.resume) {
                messages.warn("stop: resume = false, so nothing new is saved; the run's latest checkpoint ${writer.manifest.latest ?: "(none)"} stands")
            } else if (writer.manifest.engineState == StoredEngineState.of(engine.state()).toJson()) {
                point = writer.manifest.newest()?.path // the save point just committed this very state
            } else {
                val proposed = saveResumePoint(logs())
                settle(queue.await())
                point = proposed.path().takeIf { it == newestCommitted }
                if (point == null) messages.warn("stop: the resume point was not saved; the run stays at its latest committed state, ${newestCommitted ?: "none"}")
            }
        } catch (e: IOException) {
            messages.error("stop: the resume point was not saved (${e.message}); the run stays at its latest committed state, ${newestCommitted ?: "none"}", e)
        }
        val millis = if (point == null) 0L else stop.ageNanos() / 1_000_000
        point?.let { messages.info("stop: committed resume point ${writer.reader().store.describe(it)} in $millis ms") }
        model.stopTraining = true
        val report = StopReport(reason, s.currentEpoch() + 1, if (atEnd) null else s.lastBatchSeen() + 1, s.globalStep(), point, millis)
        stopped = report
        stop.serve(report)
        messages.info(
            "stop: training stopped at $where (step ${s.globalStep()}); run the same program again to continue" +
                (point?.let { " from $it (resume = true)" } ?: ""),
        )
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
        StopSignals.remove(stop)
        stop.end()?.let { reason ->
            messages.info(
                "stop: $reason came after the last batch end of this training, which ended without serving it; the " +
                    "request is dropped (it will not stop a later fit) and the run stays at ${newestCommitted ?: "no committed state"}",
            )
        }
        try {
            queue.close()
            writer.close()
            messages.deliver()
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
            if (stop.pendingFromSignal()) {
                awaitStop()
            } else {
                (queue as? SaveQueue.Background)?.awaitQuietly(SHUTDOWN_WAIT_SECONDS, TimeUnit.SECONDS)
            }
        } catch (e: Throwable) {
            // Exiting anyway: an unfinished commit leaves only what the next writer recognises and cleans up.
        }
    }

    /**
     * A signal's shutdown: blocks until the training thread has committed the stop's resume point, or until
     * `stopDeadline`; past it, says that the JVM exits with the latest committed state. Returns the report, or null.
     */
    fun awaitStop(): StopReport? {
        val deadline = options.stopDeadline
        val report = stop.awaitServed(deadline.toNanos(), TimeUnit.NANOSECONDS)
        if (report == null && stop.dropped != null) {
            messages.info("stop: training ended before serving ${stop.dropped}; the run stays at ${newestCommitted ?: "no committed state"}")
        } else if (report == null) {
            messages.warn(
                "stop: the resume point was not committed within ${deadline.toMillis()} ms (stopDeadline); the JVM exits now " +
                    "and the run stays at its latest committed state, ${newestCommitted ?: "none"}, intact",
            )
        }
        return report
    }


    /** The next `fit` call of this session (see [CheckpointCallback.fit]) starts at [position]. */
    fun beginFit(position: FitPosition) {
        this.position = position
        kotlinDlEpoch = 1
    }

    /** The engine's counters now; right after [open], those the run was resumed from. */
    fun engineState(): EngineState = engine.state()

    /** The run's newest committed state, as the manifest records it now: its resume point, or its latest checkpoint. */
    fun newest(): ManifestEntry? = writer.manifest.newest()

    fun isFor(model: GraphTrainableModel): Boolean = model === this.model

    /**
     * Counts the end of the run's [engineEpoch] whose batches all trained before a resume. Only batch-level policies
     * commit inside an epoch, and they decide nothing at an epoch end.
     */
    fun epochEndedWithoutTraining(engineEpoch: Int) {
        if (engine.epochEnded(engineEpoch)) {
            // Only a stop served at an epoch's last batch by model.fit gets here (CheckpointCallback.fit stops at the epoch end).
            messages.warn("resume: epoch ${engineEpoch + 1} was stopped after its last batch, before its end; its save point is skipped (its validation was never measured)")
        }
    }

    private fun engineEpoch(kotlinDlEpoch: Int): Int = position.engineEpoch(kotlinDlEpoch)

    private inline fun savePoint(logs: () -> Map<String, Double>) {
        val started = System.nanoTime()
        // The phases' timers cost under 2% of a small model's snapshot (SavePointTimerBenchmark); the event is recorded
        // only when a JFR recording asks for it.
        val event = SavePointEvent()
        event.begin()
        val waitedBefore = queue.waitNanos
        settle(queue.await())
        val waited = queue.waitNanos - waitedBefore
        event.waitNanos = waited
        val deciding = System.nanoTime()
        val values = logs()
        when (val decision = engine.decide(values)) {
            is Decision.Save -> {
                event.decideNanos = System.nanoTime() - deciding
                save(decision, waited, event)
            }
            is Decision.Skip -> {
                if (decision.reason() == Decision.Reason.MISSING_MONITOR) {
                    messages.warn(decision.message())
                } else if (policy.verbose()) {
                    messages.info(decision.message())
                }
                // Saving nothing here would send a resumed run back to its latest checkpoint, epochs ago.
                if (options.resume) saveResumePoint(values)
            }
            else -> Unit
        }
        event.commit()
        stats = stats.copy(trainingThreadNanos = stats.trainingThreadNanos + System.nanoTime() - started)
    }

    private fun save(save: Decision.Save, waitedNanos: Long, event: SavePointEvent) {
        if (policy.verbose()) {
            messages.info(save.message() + if (waitedNanos >= REPORTED_WAIT_NANOS) " (after waiting ${waitedNanos / 1_000_000} ms for the previous save)" else "")
        }
        val snapshotting = System.nanoTime()
        val snapshot = ModelSnapshot.take(model, kind, if (kind == CheckpointKind.FULL) configuration else null, buffers)
        val handing = System.nanoTime()
        event.saved = true
        event.fetchNanos = snapshot.fetchNanos
        event.copyNanos = snapshot.copyNanos
        event.snapshotOtherNanos = handing - snapshotting - snapshot.fetchNanos - snapshot.copyNanos
        event.floatBytes = 4 * snapshot.floatCount
        val data = if (save.batch() != null) position.dataFacts(kotlinDlEpoch) else null
        history.saving(save.checkpoint().path())
        queue.submit {
            commit(save.path(), save.checkpoint(), save.newBest(), RunChange.of(save.plan()), snapshot, data)
                .fold({ SaveOutcome.Committed(save, it) }, { SaveOutcome.Failed(save, it) })
        }
        settle(queue.poll()) // an inline save is done already
        event.handOffNanos = System.nanoTime() - handing
    }

    /** Proposes, snapshots (always a full model: it must resume exactly) and hands the resume point to the writer. */
    private fun saveResumePoint(logs: Map<String, Double>): ResumePoint {
        val point = engine.resumePoint(logs)
        val snapshot = ModelSnapshot.take(model, CheckpointKind.FULL, configuration, buffers)
        val data = if (point.checkpoint().batch() != null) position.dataFacts(kotlinDlEpoch) else null
        if (policy.verbose()) messages.info("saving resume point ${point.path()}")
        queue.submit {
            // Recorded as the run's resume point; the previous one is released.
            commit(point.path(), point.checkpoint(), false, RunChange.of(point.plan(), resumePoint = true), snapshot, data)
                .fold({ SaveOutcome.PointCommitted(point, it) }, { SaveOutcome.PointFailed(point, it) })
        }
        settle(queue.poll())
        return point
    }

    /**
     * On the writer: the snapshot's files, checkpoint.json, one manifest write persisting [change] (the engine's
     * plan), then the released checkpoints' files. Returns the release failures, or what made the commit fail.
     */
    private fun commit(
        name: String,
        record: CheckpointRecord,
        best: Boolean,
        change: RunChange,
        snapshot: ModelSnapshot,
        data: DataFacts?,
    ): Result<List<IOException>> {
        val started = System.nanoTime()
        return try {
            beforeCommit?.invoke(name)
            val facts = CheckpointFacts.of(record, policy.monitor().metric(), best, snapshot.kind, snapshot.modelClass, data)
            writer.commit(record.path(), facts, snapshot.files(), change)
            Result.success(writer.release())
        } catch (e: Throwable) {
            Result.failure(e)
        } finally {
            // The commit no longer reads the snapshot: the next save point may copy into its arrays.
            snapshot.release()
            lastWriteNanos = System.nanoTime() - started
            writeNanos += lastWriteNanos
        }
    }

    private fun settle(outcome: SaveOutcome?) {
        messages.deliver() // the storage's warnings since the last event, e.g. files a release left in place
        if (outcome != null) warnIfSlow(lastWriteNanos)
        when (outcome) {
            null -> Unit
            is SaveOutcome.Committed -> {
                engine.apply(outcome.save)
                newestCommitted = outcome.save.checkpoint().path()
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
            is SaveOutcome.PointCommitted -> {
                engine.apply(outcome.point)
                newestCommitted = outcome.point.path()
                messages.debug("committed resume point ${outcome.point.path()}")
                outcome.releaseErrors.firstOrNull()?.let { failed(it, "releasing the previous resume point failed") }
            }
            is SaveOutcome.PointFailed -> {
                stats = stats.copy(failures = stats.failures + 1)
                val e = outcome.error
                if (e !is IOException) throw e
                failed(e, "saving resume point ${outcome.point.path()} failed")
            }
        }
    }

    /** A save slower than `stopDeadline` means a stop signal would exit before its resume point commits: say so once. */
    fun warnIfSlow(saveNanos: Long, previous: Boolean = false) {
        val deadline = options.stopDeadline
        if (!options.resume || warnedSlow || saveNanos <= deadline.toNanos()) return
        warnedSlow = true
        messages.warn(
            "stop: ${if (previous) "the previous save" else "a save"} took ${saveNanos / 1_000_000} ms, longer than stopDeadline " +
                "(${deadline.toMillis()} ms): a stop signal would exit before its resume point commits; raise stopDeadline " +
                "(and the grace period the scheduler gives) or save less",
        )
    }

    private fun failed(e: IOException, what: String) {
        if (options.onSaveError == SaveErrorAction.STOP) throw e
        messages.error("$what; training continues (onSaveError = WARN_AND_CONTINUE): ${e.message}", e)
    }

    private sealed class SaveOutcome {
        class Committed(val save: Decision.Save, val releaseErrors: List<IOException>) : SaveOutcome()

        class Failed(val save: Decision.Save, val error: Throwable) : SaveOutcome()

        class PointCommitted(val point: ResumePoint, val releaseErrors: List<IOException>) : SaveOutcome()

        class PointFailed(val point: ResumePoint, val error: Throwable) : SaveOutcome()
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
            stop: StopControl,
            reuseUnchanged: Boolean = true,
        ): TrainingSession {
            val names = LoggedNames(Models.metricNames(model))
            val writer = RunWriter.open(
                options.store(policy), policy.fingerprint(), options.clock, log = messages::info, warn = messages::warnFromAnyThread,
                reuse = reuseUnchanged,
            )
            try {
                val engine = Resume.engineFor(policy, options, writer, model, messages)
                engine.onTrainBegin(names.all).forEach(messages::warn)
                messages.deliver()
                return TrainingSession(policy, options, writer, engine, model, names, messages, saved, beforeCommit, stop)
            } catch (e: Throwable) {
                writer.close()
                throw e
            }
        }
    }
}

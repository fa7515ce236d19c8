package dev.ckpt

import dev.ckpt.core.engine.EngineState
import dev.ckpt.core.engine.RunCheckpoints
import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.kotlindl.Models
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.BatchTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.EpochTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import org.jetbrains.kotlinx.dl.dataset.Dataset
import java.io.IOException

/**
 * The KotlinDL callback that [checkpoint] returns (`Ckpt.checkpoint` from Java): it feeds training events to
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
 * subclassed or called directly: pass it to `fit`, or let its own [fit] call KotlinDL's, which resumes a run
 * stopped inside an epoch without training a batch twice.
 */
public class CheckpointCallback internal constructor(
    /** The decision policy. */
    public val policy: CheckpointPolicy,
    private val options: CallbackOptions,
) : Callback(), AutoCloseable {
    private val messages = Messages(options.listener)
    private var session: TrainingSession? = null

    /** The session [fit] opened for all of its KotlinDL `fit` calls; null for a plain `model.fit`. */
    private var held: TrainingSession? = null
    private val savedPaths = ArrayList<String>()
    private var finished = SaveStats.NONE
    private val stop = StopControl()

    init {
        // Build-time notes of the policy (a Keras suffix on a path that will be a directory): said once, up front.
        policy.warnings().forEach(messages::warn)
    }

    /** The run: the directory (or `s3://` location) that holds `manifest.json`. */
    public val runLocation: String get() = options.location(policy)

    /** Paths (as the template formats them) of the checkpoints this callback has committed, in order. */
    public val saved: List<String> get() = savedPaths.toList()

    /**
     * Asks the training in progress to stop at its next batch end, from any thread: a pause from a notebook, a UI or
     * a watchdog. With `resume = true` it first commits a resume point of exactly that state, so that running the
     * same [fit] again continues at the next batch; `fit` then returns normally and [stopped] says why. A request
     * already pending keeps its reason.
     *
     * ```kotlin
     * thread { readLine(); saver.requestStop("pause from the console") }
     * saver.fit(model, train, valid, epochs = 30)
     * println(saver.stopped ?: "finished")
     * ```
     *
     * It does not interrupt a TensorFlow step, and stops nothing before the current batch ends. A request belongs
     * to one training, as Keras resets `stop_training` at each `fit`: one made while no training runs does nothing
     * (a message says so), and one that the training ends before serving (asked after its last batch end) is
     * dropped at its end, with a message, so that a later `fit` does not stop at its first batch. Nothing is lost
     * either way: the finished training's last save is committed.
     *
     * @param reason said in the messages and in [StopReport.reason]
     */
    public fun requestStop(reason: String) {
        require(reason.isNotBlank()) { "requestStop: give a reason (it is shown in the messages), got \"$reason\"" }
        if (stop.request(reason, fromSignal = false) == StopControl.Asked.NO_TRAINING) {
            messages.info("stop: requestStop(\"$reason\") while no training of $runLocation is in progress; there is nothing to stop, so it is ignored")
        }
    }

    /**
     * Why the last training stopped early at a stop request ([requestStop], or a signal of `stopOn`), where, and the
     * resume point it committed; null when it ran to its end (or is still running).
     */
    public val stopped: StopReport? get() = stop.report()

    /** What saving has cost so far, across this callback's `fit` calls. */
    public val stats: SaveStats get() = finished + ((session ?: held)?.stats() ?: SaveStats.NONE)

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
            lastEngineView = active.engineView()
            lastSaveNanos = active.lastWriteNanos
        }
    }

    /** Snapshot arrays the running session took from its previous save instead of allocating (tests read it). */
    internal fun reusedSnapshotArrays(): Long = (session ?: held)?.buffers?.reusedArrays() ?: 0L

    /**
     * The engine's counters and kept checkpoints as the training in progress sees them, or as the last one left
     * them (every save applied) once it ended; null before any training.
     */
    internal fun engineView(): Pair<EngineState, RunCheckpoints>? = session?.engineView() ?: lastEngineView

    private var lastEngineView: Pair<EngineState, RunCheckpoints>? = null

    /** How long the last save of the previous training took (the stop-deadline warning at train begin). */
    private var lastSaveNanos = 0L

    /** Runs on the writer before each commit (tests use it to hold a save in flight). */
    internal var beforeCommit: ((String) -> Unit)? = null

    /** False: every save point copies into new arrays instead of the previous snapshot's (benchmarks compare both). */
    internal var reuseSnapshotArrays: Boolean = true
    /** Whether unchanged variable files are taken from the previous checkpoint (benchmarks turn it off to compare). */
    internal var reuseUnchanged: Boolean = true

    override fun onTrainBegin() {
        held?.let { fixed ->
            check(fixed.isFor(Models.boundTo(this))) { "checkpoint callback: fit(model, ...) is training another model; pass this callback to one fit at a time" }
            session = fixed
            return
        }
        close()
        clearStop(Models.boundTo(this))
        session = TrainingSession.open(Models.boundTo(this), policy, options, messages, savedPaths, beforeCommit, stop, reuseUnchanged)
            .also { if (!reuseSnapshotArrays) it.buffers = null }
            .also { it.warnIfSlow(lastSaveNanos, previous = true) }
            .also { ResumingFit.warnIfRepeating(it.engineState(), messages) }
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
        if (session != null && session === held) session = null else close()
    }

    /**
     * Trains [model] until the run has [epochs] epochs, continuing the run exactly where its latest checkpoint
     * stopped, inside an epoch too: the batches that checkpoint holds are not trained again.
     *
     * ```kotlin
     * val saver = checkpoint("runs/big/e{epoch:02d}-b{batch:04d}") { saveFrequency = everyBatches(500); resume = true }
     * saver.fit(model, train, valid, epochs = 10, trainBatchSize = 32, validationBatchSize = 64)
     * ```
     *
     * [epochs] is the run's total, as Keras reads `epochs` with `initial_epoch`: the same call trains a new run for
     * 10 epochs, and, run again after the process died in epoch 4 after batch 600 (with a checkpoint there), trains
     * batches 601 and on of epoch 4 and then epochs 5 to 10. A run that has [epochs] epochs already trains nothing.
     *
     * KotlinDL's `fit` always starts an epoch at its first batch, so the rest of an interrupted epoch is a `fit` of
     * one epoch over a view of [trainingDataset] from the first untrained example on, followed by a `fit` of the
     * remaining epochs over the whole dataset. Epoch, batch and step numbers (in templates, the engine and the
     * returned history) continue as if nothing had stopped; [callbacks] see two `fit` calls, numbered by KotlinDL,
     * and the rest-of-epoch averages KotlinDL logs at that epoch's end cover the batches trained after the resume.
     *
     * Skipping is exact for the same examples in the same order in batches of the same size. `fit` does not
     * shuffle; a caller who shuffles between epochs must pass the interrupted epoch's order when resuming. Each
     * batch-level checkpoint records the data's size, batch size and a fingerprint of its order, and a resume
     * inside an epoch refuses data that differs, naming both. It deliberately does not store or replay the data.
     *
     * @throws IllegalArgumentException when a size is not positive, [callbacks] contains this callback, or the data
     *   differs from what the interrupted epoch trained on
     * Java sees this and the one without validation data, each with every parameter (Kotlin's defaults are 32 and 256
     * examples per batch and no other callbacks): `saver.fit(model, train, valid, 10, 32, 256, List.of())`.
     *
     * @throws IOException when the run cannot be opened or a save fails (per `onSaveError`)
     */
    @Throws(IOException::class)
    public fun fit(
        model: GraphTrainableModel,
        trainingDataset: Dataset,
        validationDataset: Dataset,
        epochs: Int,
        trainBatchSize: Int = 32,
        validationBatchSize: Int = 256,
        callbacks: List<Callback> = emptyList(),
    ): TrainingHistory {
        require(trainBatchSize >= 1) { "trainBatchSize: must be >= 1, got $trainBatchSize" }
        return ResumingFit(this, model, TrainingData(trainingDataset, trainBatchSize), epochs, callbacks, messages) { data, n, all ->
            model.fit(data, validationDataset, n, trainBatchSize, validationBatchSize, all)
        }.run()
    }

    /** [fit] without validation data (Java: `saver.fit(model, train, 10, 32, List.of())`). */
    @Throws(IOException::class)
    public fun fit(
        model: GraphTrainableModel,
        trainingDataset: Dataset,
        epochs: Int,
        batchSize: Int = 32,
        callbacks: List<Callback> = emptyList(),
    ): TrainingHistory {
        require(batchSize >= 1) { "batchSize: must be >= 1, got $batchSize" }
        return ResumingFit(this, model, TrainingData(trainingDataset, batchSize), epochs, callbacks, messages) { data, n, all ->
            model.fit(data, n, batchSize, all)
        }.run()
    }

    /** Opens the run for [model] and keeps it open across [block]'s `fit` calls (see [fit]). */
    internal fun <T> holding(model: GraphTrainableModel, block: (TrainingSession) -> T): T {
        check(session == null && held == null) {
            "checkpoint callback: fit(model, ...) called while this callback is training (after a fit that another callback's " +
                "exception ended, call close() first)"
        }
        clearStop(model)
        val opened = TrainingSession.open(model, policy, options, messages, savedPaths, beforeCommit, stop, reuseUnchanged)
        if (!reuseSnapshotArrays) opened.buffers = null
        opened.warnIfSlow(lastSaveNanos, previous = true)
        held = opened
        try {
            val result = block(opened)
            held = null
            session = opened
            close()
            return result
        } catch (e: Throwable) {
            if (held === opened) {
                held = null
                session = null
                opened.abort(e)
                finished += opened.stats()
            }
            throw e
        }
    }

    /** A stop this callback served ended the last training: this one starts again (KotlinDL never resets the flag). */
    private fun clearStop(model: GraphTrainableModel) {
        if (stop.report() != null) {
            stop.clearServed()
            model.stopTraining = false
        }
    }

    /** Waits, as a stop signal's shutdown does, for the pending stop request to commit (tests call it directly). */
    internal fun awaitStop(): StopReport? = (session ?: held)?.awaitStop()

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
            if (active === held) held = null
            active.abort(e)
            finished += active.stats()
            throw e
        }
    }
}

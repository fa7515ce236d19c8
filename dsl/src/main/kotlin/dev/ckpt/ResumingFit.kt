package dev.ckpt

import dev.ckpt.core.engine.EngineState
import dev.ckpt.kotlindl.DatasetTail
import dev.ckpt.storage.ManifestEntry
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.BatchTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.EpochTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import org.jetbrains.kotlinx.dl.dataset.Dataset

/**
 * [CheckpointCallback.fit]: trains a run up to [epochs] epochs in at most two KotlinDL `fit` calls on one open run —
 * the rest of an interrupted epoch over a [DatasetTail], then the remaining epochs over the whole data — and returns
 * one history numbered as the run is.
 */
internal class ResumingFit(
    private val callback: CheckpointCallback,
    private val model: GraphTrainableModel,
    private val data: TrainingData,
    private val epochs: Int,
    private val callbacks: List<Callback>,
    private val messages: Messages,
    /** KotlinDL's `fit` of [data]'s dataset (or a view of it) for a number of epochs, with these callbacks. */
    private val fit: (Dataset, Int, List<Callback>) -> TrainingHistory,
) {
    init {
        require(epochs >= 1) { "epochs: the run's total number of epochs must be >= 1, got $epochs" }
        require(data.examples >= 1) { "trainingDataset: has no examples; fit needs at least one" }
        require(callbacks.none { it === callback }) {
            "callbacks: contains this checkpoint callback, which fit(model, ...) adds itself; pass only the other callbacks"
        }
    }

    private val history = TrainingHistory()

    fun run(): TrainingHistory = callback.holding(model) { session ->
        val mid = MidEpoch.of(session.engineState())
        if (mid != null && mid.epoch < epochs && finishEpoch(session, mid) && model.stopTraining) {
            messages.info("fit: training stopped (model.stopTraining) while finishing epoch ${mid.epoch + 1}; the later epochs do not start")
            return@holding history
        }
        val done = session.engineState().completedEpochs()
        if (done >= epochs) {
            messages.info("fit: the run has $done epochs already, epochs = $epochs; nothing to train")
        } else {
            train(session, FitPosition(done, 0, data), data.dataset, epochs - done)
        }
        history
    }

    /**
     * Trains the batches of [mid]'s epoch that its checkpoint does not hold; with none left, counts the epoch's end.
     *
     * @return whether it trained
     */
    private fun finishEpoch(session: TrainingSession, mid: MidEpoch): Boolean {
        val from = remainderStart(session.newest(), mid)
        val epochNumber = mid.epoch + 1
        if (from == data.examples) {
            messages.info("resume: all ${data.batches} batches of epoch $epochNumber were trained before its checkpoint; it ends without training")
            session.epochEndedWithoutTraining(mid.epoch)
            return false
        }
        messages.info(
            "resume: epoch $epochNumber stopped after batch ${mid.batchesDone} of ${data.batches}; training its " +
                "${data.batches - mid.batchesDone} remaining batches (examples $from to ${data.examples - 1}), not the whole epoch",
        )
        train(session, FitPosition(mid.epoch, mid.batchesDone, data), DatasetTail(data.dataset, from), 1)
        return true
    }

    /**
     * The position of the first example the interrupted epoch has not trained, after checking that [data] is what
     * the epoch trained on, as far as the checkpoint recorded it.
     */
    private fun remainderStart(latest: ManifestEntry?, mid: MidEpoch): Int {
        val recorded = latest?.facts?.data
        val where = "checkpoint ${latest?.path} was saved after batch ${mid.batchesDone} of epoch ${mid.epoch + 1}"
        if (recorded == null) {
            messages.warn(
                "resume: $where by model.fit, which records no data facts; ckpt skips the first ${mid.batchesDone} batches " +
                    "of ${data.batchSize} examples of the data given without checking that it is the same data in the same order",
            )
        } else {
            val now = data.facts()
            require(now == recorded) {
                "fit: $where of $recorded; the training data now is $now. Resuming inside an epoch skips the batches the " +
                    "checkpoint holds, so it needs the same examples in the same order and the same batch size: pass that " +
                    "data, or start a new run in another directory"
            }
        }
        require(mid.batchesDone <= data.batches) {
            "fit: $where, but the training data has only ${data.batches} batches of ${data.batchSize} (${data.examples} " +
                "examples); pass the data that epoch trained on"
        }
        // The last batch may be short: after it, the whole epoch is trained.
        return minOf(mid.batchesDone.toLong() * data.batchSize, data.examples.toLong()).toInt()
    }

    private fun train(session: TrainingSession, position: FitPosition, dataset: Dataset, n: Int) {
        session.beginFit(position)
        val h = fit(dataset, n, listOf(callback) + callbacks)
        // KotlinDL numbers this call's epochs from 1 and batches from 0; the history is numbered as the run is.
        for (b in h.batchHistory) {
            history.appendBatch(
                BatchTrainingEvent(position.engineEpoch(b.epochIndex) + 1, position.engineBatch(b.epochIndex, b.batchIndex), b.lossValue, b.metricValues),
            )
        }
        for (e in h.epochHistory) {
            history.appendEpoch(
                EpochTrainingEvent(position.engineEpoch(e.epochIndex) + 1, e.lossValue, e.metricValues, e.valLossValue, e.valMetricValues),
            )
        }
    }

    companion object {
        /** A plain `model.fit` resuming inside an epoch starts the epoch over: say which batches train twice. */
        fun warnIfRepeating(state: EngineState, messages: Messages) {
            val mid = MidEpoch.of(state) ?: return
            messages.warn(
                "resume: the latest checkpoint is inside epoch ${mid.epoch + 1}, after batch ${mid.batchesDone}; model.fit " +
                    "trains that epoch again from its first batch, so ${mid.batchesDone} batches train twice. " +
                    "CheckpointCallback.fit(model, ...) trains only the rest of the epoch",
            )
        }
    }
}

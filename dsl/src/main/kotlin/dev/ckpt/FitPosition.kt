package dev.ckpt

import dev.ckpt.core.engine.EngineState
import dev.ckpt.kotlindl.DataFingerprint
import dev.ckpt.storage.DataFacts
import org.jetbrains.kotlinx.dl.dataset.Dataset

/**
 * Where one KotlinDL `fit` call sits in the run. KotlinDL numbers every call's epochs from 1 and each epoch's
 * batches from 0; the run's epochs continue across calls, and a call that finishes an interrupted epoch starts at
 * that epoch's next batch.
 *
 * ```kotlin
 * val rest = FitPosition(epochsBefore = 1, batchesBefore = 15, data = null)   // epoch 2 after its 15th batch
 * rest.engineEpoch(1)      // 1: the run's second epoch, 0-based as the engine counts
 * rest.engineBatch(1, 0)   // 15: the epoch's 16th batch
 * ```
 */
internal class FitPosition(
    /** Epochs of the run before this call's first epoch (its 0-based index in the run). */
    val epochsBefore: Int,
    /** Batches of this call's first epoch trained before the call (0 unless it finishes an interrupted epoch). */
    val batchesBefore: Int,
    /** The full training data with its batch size, when `CheckpointCallback.fit` runs the call; null for `model.fit`. */
    private val data: TrainingData?,
) {
    init {
        require(epochsBefore >= 0 && batchesBefore >= 0) { "epochsBefore and batchesBefore must be >= 0, got $epochsBefore, $batchesBefore" }
    }

    private var factsEpoch = -1
    private var facts: DataFacts? = null

    /** Batches in each epoch of the data, when known (`CheckpointCallback.fit`); null for `model.fit`. */
    fun batchesPerEpoch(): Int? = data?.batches

    /** The run's 0-based epoch of KotlinDL's (1-based) [kotlinDlEpoch]. */
    fun engineEpoch(kotlinDlEpoch: Int): Int = epochsBefore + kotlinDlEpoch - 1

    /** The 0-based batch within the run's epoch of KotlinDL's [batch] in [kotlinDlEpoch]. */
    fun engineBatch(kotlinDlEpoch: Int, batch: Int): Int = if (kotlinDlEpoch == 1) batchesBefore + batch else batch

    /**
     * The data a batch-level save in [kotlinDlEpoch] sits in, or null when unknown. Fingerprinted once per epoch on
     * the training thread, so a dataset a callback reorders between epochs is recorded in each epoch's own order.
     */
    fun dataFacts(kotlinDlEpoch: Int): DataFacts? {
        val d = data ?: return null
        if (factsEpoch != kotlinDlEpoch) {
            facts = d.facts()
            factsEpoch = kotlinDlEpoch
        }
        return facts
    }

    companion object {
        /** A plain `model.fit` call: it starts after the run's completed epochs, at a first batch. */
        fun continuing(state: EngineState): FitPosition = FitPosition(state.completedEpochs(), 0, null)
    }
}

/** Training examples as `fit` iterates them, in batches of [batchSize]. */
internal class TrainingData(val dataset: Dataset, val batchSize: Int) {
    val examples: Int get() = dataset.xSize()

    /** Batches per epoch, the last one possibly short (KotlinDL trains it too). */
    val batches: Int get() = (examples + batchSize - 1) / batchSize

    fun facts(): DataFacts = DataFacts(examples, batchSize, DataFingerprint.of(dataset))
}

/**
 * A run whose latest commit is inside an epoch: [epoch] (0-based) started and did not end, and its first
 * [batchesDone] batches are in the checkpoint. Only batch-level saving commits there.
 */
internal data class MidEpoch(val epoch: Int, val batchesDone: Int) {
    companion object {
        /** The interrupted epoch of a resumed engine's [state], or null when the run stopped at an epoch boundary. */
        fun of(state: EngineState): MidEpoch? =
            if (state.currentEpoch() >= 0 && state.currentEpoch() == state.completedEpochs()) {
                MidEpoch(state.currentEpoch(), state.lastBatchSeen() + 1)
            } else {
                null
            }
    }
}

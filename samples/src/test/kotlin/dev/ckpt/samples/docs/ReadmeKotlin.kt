package dev.ckpt.samples.docs

// region imports
import dev.ckpt.Checkpoints
import dev.ckpt.checkpoint
import org.jetbrains.kotlinx.dl.api.core.loss.Losses
import org.jetbrains.kotlinx.dl.api.core.metric.Metrics
import org.jetbrains.kotlinx.dl.api.core.optimizer.Adam
// endregion
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.dataset.Dataset

// The README's Kotlin examples. Each region is a block of README.md (DocSnippetsSpec compares them), and
// DocExamplesSpec runs these functions on the digits in a working directory of their own, since the README's paths
// are relative.

/** The Kotlin quick start: trains 30 epochs into runs/digits, lists the run, restores the best (the caller closes it). */
internal fun quickStart(model: Sequential, train: Dataset, valid: Dataset): GraphTrainableModel {
    // region quick-start
    val saver = checkpoint("runs/digits/e{epoch:02d}-acc{val_accuracy:.4f}") {
        monitor = "val_accuracy"
        mode = MAX
        saveBestOnly = true
        keepBest = 3
        verbose = true              // Keras-style messages through SLF4J (logger "dev.ckpt")
        onMessage { println(it) }   // ... and/or to your own sink
    }
    model.fit(trainingDataset = train, validationDataset = valid, epochs = 30,
              trainBatchSize = 32, validationBatchSize = 64, callbacks = listOf(saver))

    val run = Checkpoints.open("runs/digits")
    run.all.forEach { println("${it.path}: epoch ${it.epoch} ${it.metrics}") }
    val best = run.best().loadModel(compile = { it.compile(Adam(), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY) })
    // endregion
    return best
}

/** The README's resume: the quick start's policy with `resume = true`, through the callback's `fit`. */
internal fun resume(model: Sequential, train: Dataset, valid: Dataset) {
    // region resume
    val saver = checkpoint("runs/digits/e{epoch:02d}-acc{val_accuracy:.4f}") {
        monitor = "val_accuracy"; mode = MAX; saveBestOnly = true; keepBest = 3; resume = true
    }
    saver.fit(model, train, valid, epochs = 30, trainBatchSize = 32, validationBatchSize = 64)
    // endregion
}

/** The README's weights into a model built by the caller. */
internal fun loadWeights(model: Sequential) {
    // region load-weights
    Checkpoints.open("runs/digits").best().loadWeightsInto(model)
    // endregion
}

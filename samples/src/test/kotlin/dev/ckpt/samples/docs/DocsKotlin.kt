package dev.ckpt.samples.docs

import dev.ckpt.Checkpoint
import dev.ckpt.CheckpointCallback
import dev.ckpt.Checkpoints
import dev.ckpt.StopSignal
import dev.ckpt.checkpoint
import dev.ckpt.samples.DigitsModel
import org.jetbrains.kotlinx.dl.api.core.Functional
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.loss.Losses
import org.jetbrains.kotlinx.dl.api.core.metric.Metrics
import org.jetbrains.kotlinx.dl.api.core.optimizer.Adam
import org.jetbrains.kotlinx.dl.dataset.Dataset
import kotlin.system.exitProcess

// The Kotlin examples of docs/ (DocSnippetsSpec compares each region with its block). `stop` runs on the digits
// (DocExamplesSpec); the others need what the digits run does not give them (a Functional model, a killed run, 100
// epochs and a process exit, an S3 server) and are compiled only.

/** docs/preemption.md: a stop request is a save; the run resumes where it stopped. */
internal fun stopIsASave(model: Sequential, train: Dataset, valid: Dataset) {
    // region stop
    val saver = checkpoint("runs/digits/e{epoch:02d}-acc{val_accuracy:.4f}") {
        monitor = "val_accuracy"; mode = MAX; saveBestOnly = true; resume = true
    }
    saver.fit(model, train, valid, epochs = 30, trainBatchSize = 32, validationBatchSize = 64)
    saver.stopped?.let { println("stopped: $it") }       // null when the run reached 30 epochs
    // endregion
    check(saver.stopped == null) { "nothing asked the run to stop, yet it stopped: ${saver.stopped}" }
}

/** docs/preemption.md: an exit code of the caller's choosing after a stop on SIGUSR1. */
internal fun stopWithExitCode(model: Sequential, train: Dataset, valid: Dataset) {
    // region stop-exit-code
    val saver = checkpoint("runs/big/e{epoch:02d}") { resume = true; stopOn = setOf(StopSignal.SIGUSR1) }
    saver.fit(model, train, valid, epochs = 100)
    if (saver.stopped != null) exitProcess(3)     // e.g. a requeue code your scheduler knows
    // endregion
}

/** A compiler written for Functional models, as docs/resume.md's `MyModels::compile`. */
internal object MyModels {
    @JvmStatic
    fun compile(model: Functional) {
        model.compile(Adam(), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY)
    }
}

/** docs/resume.md: restoring any model class. */
internal fun loadAnyClass(): List<GraphTrainableModel> {
    // region load-any-class
    val run = Checkpoints.open("runs/digits")
    val any: GraphTrainableModel = run.best().loadModel(compile = { it.compile(Adam(), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY) })
    val functional: Functional = run.best().loadFunctional(MyModels::compile)
    val sequential: Sequential = run.latest().loadSequential(DigitsModel::compile)
    // endregion
    return listOf(any, functional, sequential)
}

/** docs/resume.md: resuming inside an epoch through the callback's `fit`. */
internal fun resumeInsideAnEpoch(model: Sequential, train: Dataset, valid: Dataset) {
    // region resume-inside-epoch
    val saver = checkpoint("runs/big/e{epoch:02d}-b{batch:04d}-s{step:06d}") {
        saveFrequency = everyBatches(500)
        resume = true
    }
    saver.fit(model, train, valid, epochs = 10, trainBatchSize = 32, validationBatchSize = 64)
    // endregion
}

/** docs/storage.md: a run on S3. */
internal fun onS3(): Pair<CheckpointCallback, Checkpoint> {
    // region s3
    val saver = checkpoint("s3://ckpt-demo/runs/digits/e{epoch:02d}-acc{val_accuracy:.4f}") {
        monitor = "val_accuracy"; mode = MAX; keepBest = 1; keepLast = 3
    }
    val best = Checkpoints.open("s3://ckpt-demo/runs/digits").best()
    // endregion
    return saver to best
}

/** docs/runs.md: every run under a root, grouped and ranked, the best across them opened. */
internal fun runsFromCode(): Checkpoint {
    // region runs
    val runs = Checkpoints.runs("runs/sweep")              // or "s3://bucket/sweeps/lr"
    for (group in runs.groups) {                           // one group per monitor and direction
        println(group.label)                               // "val_accuracy (max)"
        group.runs.forEach { println("  ${group.rankOf(it)} ${it.path} ${it.state} ${it.bestValue} ${it.bestPath}") }
    }
    runs.damaged.forEach { println("damaged: ${it.path}: ${it.problem}") }
    val best = runs.best().open().best()                   // the best run's best checkpoint
    // endregion
    return best
}

@file:JvmName("Sweep")

package dev.ckpt.samples

import dev.ckpt.Checkpoints
import dev.ckpt.checkpoint
import dev.ckpt.cli.CkptCli
import org.jetbrains.kotlinx.dl.api.core.loss.Losses
import org.jetbrains.kotlinx.dl.api.core.metric.Metrics
import org.jetbrains.kotlinx.dl.api.core.optimizer.Adam
import java.io.PrintStream
import java.nio.file.Path
import kotlin.system.exitProcess

/**
 * A learning-rate sweep: trains the digits classifier with three learning rates into `runs/sweep/lr-*`, prints the
 * table of runs (`ckpt runs runs/sweep`), restores the best checkpoint across the sweep into a fresh model, and prints
 * its validation accuracy beside the logged one. Exits 1 when they differ.
 *
 * Run from the repository root: `mvn -B -q -pl samples -am compile exec:exec -Dexec.mainClass=dev.ckpt.samples.Sweep`.
 * Optional arguments: the sweep's root directory (replaced on each run) and the number of epochs per run.
 */
public fun main(args: Array<String>) {
    val root = Path.of(args.getOrNull(0)?.takeIf { it.isNotBlank() } ?: "runs/sweep")
    val epochs = args.getOrNull(1)?.toInt() ?: 8
    exitProcess(if (runSweep(root, epochs, System.out).restoredMatchesLogged) 0 else 1)
}

/** The learning rates the sweep trains with, one run each. */
public val SWEEP_RATES: List<Float> = listOf(0.001f, 0.01f, 0.1f)

/** What the sweep measured: which run won, and its best checkpoint's logged and restored accuracy. */
public data class SweepOutcome(
    /** The best run's path under the root (`lr-0.01`). */
    public val bestRun: String,
    /** The best checkpoint's path in that run. */
    public val bestCheckpoint: String,
    /** `val_accuracy` logged when that checkpoint was saved. */
    public val loggedAccuracy: Double,
    /** Validation accuracy of the model restored from it. */
    public val restoredAccuracy: Double,
    /** How many runs `Checkpoints.runs` found. */
    public val runs: Int,
) {
    /** Whether restoring reproduced the logged accuracy exactly. */
    public val restoredMatchesLogged: Boolean get() = restoredAccuracy == loggedAccuracy
}

/** Runs the sweep into [root] (replacing it), [epochs] per learning rate, and reports on [out]. */
public fun runSweep(root: Path, epochs: Int, out: PrintStream): SweepOutcome {
    val (train, validation) = Digits.load().split()
    SampleRuns.clear(root)
    for (rate in SWEEP_RATES) {
        val run = root.resolve("lr-$rate")
        out.println("training lr-$rate: $epochs epochs into $run")
        val saver = checkpoint("$run/e{epoch:02d}-acc{val_accuracy:.4f}") {
            monitor = "val_accuracy"
            mode = MAX
            keepBest = 1
            keepLast = 1
        }
        DigitsModel.create().use { model ->
            model.compile(Adam(learningRate = rate), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY)
            model.fit(
                trainingDataset = train, validationDataset = validation, epochs = epochs,
                trainBatchSize = DigitsModel.TRAIN_BATCH, validationBatchSize = DigitsModel.EVAL_BATCH, callbacks = listOf(saver),
            )
        }
    }

    out.println()
    out.println("\$ ckpt runs $root")
    CkptCli.run(arrayOf("runs", root.toString()), out, out)

    val runs = Checkpoints.runs(root)
    val bestRun = runs.best()
    val best = bestRun.open().best()
    val logged = best.metrics.getValue("val_accuracy")
    // Evaluation does not depend on the optimizer: the samples' compile (another learning rate) restores any run.
    val restored = best.loadModel(DigitsModel::compile).use { model -> DigitsModel.accuracy(model, validation) }
    out.println()
    out.println("Best across the sweep: ${bestRun.path}, checkpoint ${best.path} (epoch ${best.epoch}), restored into a fresh model:")
    out.println(
        "  validation accuracy %.4f (logged: %.4f) %s".format(restored, logged, if (restored == logged) "- identical" else "- MISMATCH"),
    )
    return SweepOutcome(bestRun.path, best.path, logged, restored, runs.all.size)
}

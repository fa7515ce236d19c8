@file:JvmName("DigitsMain")

package dev.ckpt.samples

import dev.ckpt.CheckpointCallback
import dev.ckpt.Checkpoints
import dev.ckpt.checkpoint
import dev.ckpt.cli.HistoryChart
import org.jetbrains.kotlinx.dl.dataset.Dataset
import java.io.PrintStream
import java.nio.file.Files
import java.nio.file.Path
import kotlin.system.exitProcess

/**
 * The main job: trains the digits classifier with a checkpoint policy (every epoch saved, the best by
 * `val_accuracy` and the last three kept), prints what was saved and why, then restores the best
 * checkpoint into a fresh model and checks its validation accuracy against the logged one, and draws the run's
 * metric history into `history.png` in the run directory.
 *
 * Run from the repository root: `mvn -B -q -pl samples -am compile exec:exec`. Output goes to
 * `runs/digits` (replaced on each run); optional arguments: the run directory and the number of epochs.
 */
public fun main(args: Array<String>) {
    val dir = Path.of(args.getOrNull(0)?.takeIf { it.isNotBlank() } ?: "runs/digits")
    val epochs = args.getOrNull(1)?.toInt() ?: 15
    val outcome = runDigits(dir, epochs, System.out)
    exitProcess(if (outcome.restoredMatchesLogged) 0 else 1)
}

/** What the sample measured: the best checkpoint's logged accuracy and the restored model's. */
public data class DigitsOutcome(
    /** 1-based epoch of the best checkpoint. */
    public val bestEpoch: Int,
    /** `val_accuracy` logged at that epoch. */
    public val loggedAccuracy: Double,
    /** Validation accuracy of the model restored from the checkpoint. */
    public val restoredAccuracy: Double,
    /** Paths of the checkpoints retention kept, relative to the run directory. */
    public val kept: List<String>,
    /** The metric history chart the job wrote (`history.png` in the run directory); null for a run on S3. */
    public val chart: Path? = null,
) {
    /** Whether restoring reproduced the logged accuracy exactly. */
    public val restoredMatchesLogged: Boolean get() = restoredAccuracy == loggedAccuracy
}

/** Runs the sample into [runDirectory] (replacing it) and reports what it measured on [out]. */
public fun runDigits(runDirectory: Path, epochs: Int, out: PrintStream): DigitsOutcome {
    val (train, validation) = Digits.load().split()
    out.println("ckpt digits sample: ${train.xSize()} training images, ${validation.xSize()} validation images, $epochs epochs")
    SampleRuns.clear(runDirectory)

    val saver = trainWithCheckpoints(runDirectory.toString(), train, validation, epochs, out)

    val run = Checkpoints.open(runDirectory)
    printKept(saver, run, out)

    val best = run.best()
    val logged = best.metrics.getValue("val_accuracy")
    val restored = best.loadModel(DigitsModel::compile).use { model -> DigitsModel.accuracy(model, validation) }
    out.println()
    out.println("Restored best checkpoint ${best.path} (epoch ${best.epoch}) into a fresh model:")
    out.println("  validation accuracy %.4f (logged at epoch %d: %.4f) %s".format(restored, best.epoch, logged, if (restored == logged) "- identical" else "- MISMATCH"))

    // Every epoch's metrics are in the run's history.jsonl, also those of released checkpoints: draw them.
    val chart = HistoryChart.write(run, runDirectory.resolve("history.png"))
    out.println()
    out.println("Metric history (${HistoryChart.defaultMetrics(run).joinToString(" and ")} per epoch, saved/best/released checkpoints marked): ${chart.toAbsolutePath()}")
    return DigitsOutcome(best.epoch, logged, restored, run.all.map { it.path }, chart)
}

/** The samples own their output directories and replace them on each run. */
public object SampleRuns {
    /** Deletes [dir], a sample's previous output, if present. */
    @JvmStatic
    public fun clear(dir: Path) {
        if (Files.exists(dir)) dir.toFile().deleteRecursively()
    }
}

/**
 * Trains a fresh digits MLP for [epochs] into the run at [run] (a directory or an `s3://` location) with the
 * samples' policy: every epoch saved, the best by `val_accuracy` and the last three kept, verbose lines on [out].
 */
internal fun trainWithCheckpoints(run: String, train: Dataset, validation: Dataset, epochs: Int, out: PrintStream): CheckpointCallback {
    val saver = checkpoint("$run/e{epoch:02d}-acc{val_accuracy:.4f}") {
        monitor = "val_accuracy"
        mode = MAX
        keepBest = 1
        keepLast = 3
        verbose = true
        onMessage { out.println("ckpt | $it") }
    }
    DigitsModel.create().use { model ->
        DigitsModel.compile(model)
        model.fit(
            trainingDataset = train, validationDataset = validation, epochs = epochs,
            trainBatchSize = DigitsModel.TRAIN_BATCH, validationBatchSize = DigitsModel.EVAL_BATCH,
            callbacks = listOf(saver),
        )
    }
    return saver
}

/** Prints how many checkpoints [saver] saved and which ones [run] kept, best marked. */
internal fun printKept(saver: CheckpointCallback, run: Checkpoints, out: PrintStream) {
    out.println()
    out.println("Saved ${saver.saved.size} checkpoints; retention (${saver.policy.retention().summary()}) kept ${run.all.size}, listed in ${run.location}/manifest.json:")
    for (c in run.all) {
        out.println("  %-20s epoch %2d  val_accuracy %.4f%s".format(c.path, c.epoch, c.metrics.getValue("val_accuracy"), if (c.isBest) "  <- best" else ""))
    }
}

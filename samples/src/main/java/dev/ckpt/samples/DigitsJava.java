package dev.ckpt.samples;

import dev.ckpt.Checkpoint;
import dev.ckpt.CheckpointCallback;
import dev.ckpt.Checkpoints;
import dev.ckpt.Ckpt;
import dev.ckpt.core.monitor.Mode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel;
import org.jetbrains.kotlinx.dl.api.core.Sequential;

/**
 * The digits sample through ckpt's Java API: {@code Ckpt.checkpoint} with a lambda that sets the options,
 * and {@code Checkpoints.open} to restore the best model.
 *
 * <p>Run from the repository root:
 * {@code mvn -B -q -pl samples -am compile exec:exec -Dexec.mainClass=dev.ckpt.samples.DigitsJava}
 */
public final class DigitsJava {
    private DigitsJava() {
    }

    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args.length > 0 ? args[0] : "runs/digits-java");
        int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        System.exit(run(dir, epochs, System.out) ? 0 : 1);
    }

    /** Trains, saves the best by val_accuracy, restores it; true when the restored accuracy matches the logged one. */
    public static boolean run(Path dir, int epochs, PrintStream out) throws IOException {
        Digits.Split data = Digits.load().split();
        SampleRuns.clear(dir);

        CheckpointCallback saver = Ckpt.checkpoint(dir + "/best-e{epoch:02d}", options -> {
            options.setMonitor("val_accuracy");
            options.setMode(Mode.MAX);
            options.setSaveBestOnly(true);
            options.setKeepBest(2);
            options.setVerbose(true);
            options.onMessage(message -> out.println("ckpt | " + message));
        });

        try (Sequential model = DigitsModel.create()) {
            DigitsModel.compile(model);
            model.fit(data.getTrain(), data.getValidation(), epochs, DigitsModel.TRAIN_BATCH, DigitsModel.EVAL_BATCH,
                    List.of(saver));
        }

        Checkpoints run = Checkpoints.open(dir);
        for (Checkpoint c : run.getAll()) {
            out.printf("  %-12s epoch %2d  val_accuracy %.4f%s%n", c.getPath(), c.getEpoch(),
                    c.getMetrics().get("val_accuracy"), c.isBest() ? "  <- best" : "");
        }
        Checkpoint best = run.best();
        double logged = best.getMetrics().get("val_accuracy");
        double restored;
        try (GraphTrainableModel model = best.loadModel(DigitsModel::compile)) {
            restored = DigitsModel.accuracy(model, data.getValidation());
        }
        out.printf("Restored %s: validation accuracy %.4f (logged %.4f)%n", best.getPath(), restored, logged);
        return restored == logged;
    }
}

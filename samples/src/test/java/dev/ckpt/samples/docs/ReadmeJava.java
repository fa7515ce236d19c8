package dev.ckpt.samples.docs;

import dev.ckpt.Checkpoint;
import dev.ckpt.CheckpointCallback;
import dev.ckpt.Checkpoints;
import dev.ckpt.Ckpt;
import dev.ckpt.core.monitor.Mode;
import java.io.IOException;
import java.util.List;
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel;
import org.jetbrains.kotlinx.dl.api.core.Sequential;
import org.jetbrains.kotlinx.dl.api.core.loss.Losses;
import org.jetbrains.kotlinx.dl.api.core.metric.Metrics;
import org.jetbrains.kotlinx.dl.api.core.optimizer.Adam;
import org.jetbrains.kotlinx.dl.dataset.Dataset;

/**
 * The README's Java quick start. The region is a block of README.md (DocSnippetsSpec compares them); DocExamplesSpec
 * runs it on the digits in a working directory of its own, since the README's paths are relative.
 */
final class ReadmeJava {
    private ReadmeJava() {
    }

    /** Trains 10 epochs into runs/digits, restores the best; returns the restored model's validation accuracy. */
    static double quickStart(Sequential model, Dataset train, Dataset valid) throws IOException {
        // region quick-start
        CheckpointCallback saver = Ckpt.checkpoint("runs/digits/best-e{epoch:02d}", options -> {
            options.setMonitor("val_accuracy");
            options.setMode(Mode.MAX);
            options.setSaveBestOnly(true);
            options.setKeepBest(2);
            options.onMessage(System.out::println);
        });
        model.fit(train, valid, 10, 32, 64, List.of(saver));

        Checkpoint best = Checkpoints.open("runs/digits").best();
        double accuracy;
        try (GraphTrainableModel restored = best.loadModel(m -> m.compile(new Adam(), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY))) {
            accuracy = restored.evaluate(valid, 64, List.of()).getMetrics().get(Metrics.ACCURACY);
        }
        System.out.printf("%s: validation accuracy %.4f (logged %.4f)%n", best.getPath(), accuracy, best.getMetrics().get("val_accuracy"));
        // endregion
        return accuracy;
    }
}

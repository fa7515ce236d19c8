package dev.ckpt.samples.docs;

import dev.ckpt.Checkpoint;
import dev.ckpt.CheckpointCallback;
import dev.ckpt.Checkpoints;
import dev.ckpt.Ckpt;
import dev.ckpt.RunList;
import dev.ckpt.RunSummary;
import dev.ckpt.core.policy.SaveFrequency;
import java.io.IOException;
import java.util.List;
import org.jetbrains.kotlinx.dl.api.core.Functional;
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel;
import org.jetbrains.kotlinx.dl.api.core.Sequential;
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory;
import org.jetbrains.kotlinx.dl.api.core.loss.Losses;
import org.jetbrains.kotlinx.dl.api.core.metric.Metrics;
import org.jetbrains.kotlinx.dl.api.core.optimizer.Adam;
import org.jetbrains.kotlinx.dl.dataset.Dataset;

/**
 * The Java examples of docs/resume.md and docs/runs.md (DocSnippetsSpec compares each region with its block).
 * Compiled only: they need a Functional model, a run killed inside an epoch, or a sweep.
 */
final class DocsJava {
    private DocsJava() {
    }

    /** Restoring any model class from Java. */
    static void loadAnyClass() throws IOException {
        // region load-any-class
        Checkpoint best = Checkpoints.open("runs/digits").best();
        try (GraphTrainableModel any = best.loadModel(m -> m.compile(new Adam(), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY))) {
            System.out.println(any.getLayers().size() + " layers");
        }
        try (Functional functional = best.loadFunctional(MyModels::compile)) {
            System.out.println(functional.getLayers().size() + " layers");
        }
        // endregion
    }

    /** Resuming inside an epoch from Java. */
    static TrainingHistory resumeInsideAnEpoch(Sequential model, Dataset train, Dataset valid) throws IOException {
        // region resume-inside-epoch
        CheckpointCallback saver = Ckpt.checkpoint("runs/big/e{epoch:02d}-b{batch:04d}-s{step:06d}", options -> {
            options.setSaveFrequency(SaveFrequency.everyBatches(500));
            options.setResume(true);
        });
        TrainingHistory history = saver.fit(model, train, valid, 10, 32, 64, List.of());
        // endregion
        return history;
    }

    /** Listing a sweep from Java: the best run of the val_accuracy group, and its best checkpoint. */
    static Checkpoint runsFromJava() throws IOException {
        // region runs
        RunList runs = Checkpoints.runs("runs/sweep");
        RunSummary winner = runs.best("val_accuracy");
        Checkpoint best = winner.open().best();
        // endregion
        return best;
    }
}

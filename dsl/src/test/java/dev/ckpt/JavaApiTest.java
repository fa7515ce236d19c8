package dev.ckpt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ckpt.core.CheckpointConfigException;
import dev.ckpt.core.monitor.Mode;
import dev.ckpt.core.policy.CheckpointPolicy;
import dev.ckpt.core.policy.Retention;
import dev.ckpt.core.policy.SaveFrequency;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import dev.ckpt.kotlindl.Digits;
import org.jetbrains.kotlinx.dl.api.core.Sequential;
import org.jetbrains.kotlinx.dl.api.core.metric.Metrics;
import org.jetbrains.kotlinx.dl.dataset.OnHeapDataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Java caller configures, trains and restores with ckpt's Java API only: no Companion, no Kotlin lambdas. */
class JavaApiTest {
    @TempDir
    Path dir;

    @Test
    void javaCallerConfiguresTrainsAndRestoresTheBest() throws IOException {
        OnHeapDataset train = Digits.INSTANCE.train();
        OnHeapDataset valid = Digits.INSTANCE.validation();
        CheckpointPolicy policy = CheckpointPolicy.builder("runs/java/e{epoch:02d}-{val_accuracy:.3f}")
                .monitor("val_accuracy")
                .mode(Mode.MAX)
                .saveBestOnly(true)
                .saveFrequency(SaveFrequency.everyEpoch())
                .retention(Retention.keepAll().withKeepBest(2))
                .verbose(true)
                .build();
        List<String> messages = new ArrayList<>();
        CheckpointCallback saver = Ckpt.callback(policy, Ckpt.options().directory(dir).listener(messages::add));

        try (Sequential model = Digits.INSTANCE.newCompiledModel(32)) {
            model.fit(train, valid, 3, 32, 64, List.of(saver));
        }

        Checkpoints run = Checkpoints.open(dir.resolve("runs/java"));
        Checkpoint best = run.best();
        assertTrue(run.getAll().size() <= 2, "keepBest(2) keeps at most two: " + run.getAll());
        assertTrue(messages.get(0).startsWith("Epoch 1: val_accuracy improved from none to "), messages.get(0));
        try (Sequential restored = best.loadModel(Digits.INSTANCE::compile)) {
            double accuracy = restored.evaluate(valid, 64, List.of()).getMetrics().get(Metrics.ACCURACY);
            assertEquals(best.getMetrics().get("val_accuracy"), accuracy);
        }

        List<EpochRecord> history = run.history();
        assertEquals(3, history.size());
        assertEquals(best.getMonitorValue(), history.get(best.getEpoch() - 1).getMetrics().get("val_accuracy"));
        List<String> progress = new ArrayList<>();
        assertTrue(run.verify((done, total, result) -> progress.add(done + "/" + total)).getAllOk());
        assertEquals(run.getAll().size(), progress.size());
        long size = 0;
        for (StoredFile file : best.files()) {
            size += file.getSize();
        }
        assertTrue(best.sizeBytes() > size, "sizeBytes counts checkpoint.json too");
        PruneReport report = Checkpoints.prune(dir.resolve("runs/java"), Retention.keepAll().withKeepLast(1), true);
        assertTrue(report.getDryRun());
        assertEquals(run.getAll().size(), report.getKept().size() + report.getReleased().size());
    }

    @Test
    void javaCallerGetsTheOptionNameInConfigurationErrors() {
        CheckpointConfigException e = assertThrows(CheckpointConfigException.class,
                () -> CheckpointPolicy.builder("e{epoch}").saveFrequency(SaveFrequency.everyBatches(0)).build());
        assertEquals("saveFrequency", e.option());
        assertEquals("saveFrequency: every N batches needs N >= 1, got 0", e.getMessage());
    }
}

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
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Consumer;
import dev.ckpt.kotlindl.Digits;
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel;
import org.jetbrains.kotlinx.dl.api.core.Sequential;
import org.jetbrains.kotlinx.dl.api.core.history.EpochTrainingEvent;
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory;
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
        List<String> messages = new ArrayList<>();
        CheckpointCallback saver = Ckpt.checkpoint("runs/java/e{epoch:02d}-{val_accuracy:.3f}", options -> {
            options.setMonitor("val_accuracy");
            options.setMode(Mode.MAX);
            options.setSaveBestOnly(true);
            options.setSaveFrequency(SaveFrequency.everyEpoch());
            options.setKeepBest(2);
            options.setVerbose(true);
            options.setDirectory(dir);
            options.onMessage(messages::add);
        });

        try (Sequential model = Digits.INSTANCE.newCompiledModel(32)) {
            model.fit(train, valid, 3, 32, 64, List.of(saver));
        }

        Checkpoints run = Checkpoints.open(dir.resolve("runs/java"));
        Checkpoint best = run.best();
        assertTrue(run.getAll().size() <= 2, "keepBest(2) keeps at most two: " + run.getAll());
        assertTrue(messages.get(0).startsWith("Epoch 1: val_accuracy improved from none to "), messages.get(0));
        try (Sequential restored = best.loadSequential(Digits.INSTANCE::compile)) {
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

    /** A compiler written for Sequential models only, as a caller who knows the model class writes it. */
    static void compileSequential(Sequential model) {
        Digits.INSTANCE.compile(model);
    }

    @Test
    void javaCallerLoadsTheSavedKindOrATypedModelWithLambdasAndMethodReferences() throws IOException {
        try (Sequential model = Digits.INSTANCE.newCompiledModel(32)) {
            model.fit(Digits.INSTANCE.train(), Digits.INSTANCE.validation(), 1, 32, 64,
                    List.of(Ckpt.checkpoint("runs/kinds/e{epoch:02d}", options -> options.setDirectory(dir))));
        }
        Checkpoint latest = Checkpoints.open(dir.resolve("runs/kinds")).latest();
        try (GraphTrainableModel any = latest.loadModel(m -> Digits.INSTANCE.compile(m))) {
            assertTrue(any instanceof Sequential, any.getClass().getName());
        }
        try (Sequential typed = latest.loadSequential(JavaApiTest::compileSequential)) {
            assertEquals(3, typed.getLayers().size());
        }
        IllegalStateException wrongKind = assertThrows(IllegalStateException.class,
                () -> latest.loadFunctional(Digits.INSTANCE::compile));
        assertTrue(wrongKind.getMessage().startsWith("loadFunctional: checkpoint e01 holds a Sequential model"), wrongKind.getMessage());
        try (Sequential model = Digits.INSTANCE.newCompiledModel(32)) {
            latest.loadWeightsInto(model, LoadOption.WITH_OPTIMIZER_STATE, LoadOption.ALLOW_CORRUPT);
        }
        IllegalArgumentException meaningless = assertThrows(IllegalArgumentException.class,
                () -> latest.loadSequential(JavaApiTest::compileSequential, LoadOption.WITH_OPTIMIZER_STATE));
        assertEquals("loadSequential: WITH_OPTIMIZER_STATE is for loadWeightsInto; loadSequential always restores the "
                + "optimizer state of a full checkpoint (valid here: ALLOW_CORRUPT)", meaningless.getMessage());
    }

    @Test
    void javaCallerTrainsARunToItsTotalThroughTheCallbacksFitAndResumesInsideAnEpoch() throws IOException {
        OnHeapDataset train = Digits.INSTANCE.train();
        OnHeapDataset valid = Digits.INSTANCE.validation();
        Consumer<CheckpointOptions> options = o -> {
            o.setSaveFrequency(SaveFrequency.everyBatches(20));
            o.setDirectory(dir);
            o.setResume(true);
        };
        try (Sequential model = Digits.INSTANCE.newCompiledModel(32)) {
            TrainingHistory first = Ckpt.checkpoint("runs/fit/e{epoch:02d}-b{batch:02d}", options)
                    .fit(model, train, valid, 1, 32, 64, List.of());
            assertEquals(List.of(1), first.getEpochHistory().stream().map(EpochTrainingEvent::getEpochIndex).toList());
        }
        // Epoch 1 has 45 batches; its latest checkpoint is after batch 40 (step 40). A total of 2 epochs trains its last 5,
        // then epoch 2, saving at steps 60 and 80 (every 20 batches counts across epochs).
        try (Sequential model = Digits.INSTANCE.newCompiledModel(32)) {
            TrainingHistory rest = Ckpt.checkpoint("runs/fit/e{epoch:02d}-b{batch:02d}", options).fit(model, train, 2, 32, List.of());
            assertEquals(List.of(1, 2), rest.getEpochHistory().stream().map(EpochTrainingEvent::getEpochIndex).toList());
            assertEquals(5 + 45, rest.getBatchHistory().size());
        }
        assertEquals("e02-b35", Checkpoints.open(dir.resolve("runs/fit")).latest().getPath());
    }

    @Test
    void javaCallerSavesEveryNthEpochAndKeepsOnePerSpanThroughTheOptions() throws IOException {
        CheckpointCallback saver = Ckpt.checkpoint("runs/java-p/e{epoch:02d}", options -> {
            options.setSaveFrequency(SaveFrequency.everyEpochs(2));
            options.setKeepLast(1);
            options.setKeepOnePer(Duration.ofHours(6));
            options.setDirectory(dir);
        });
        assertEquals(new Retention(null, 1, null, Duration.ofHours(6)), saver.getPolicy().retention());
        try (Sequential model = Digits.INSTANCE.newCompiledModel(32)) {
            model.fit(Digits.INSTANCE.train(), Digits.INSTANCE.validation(), 4, 32, 64, List.of(saver));
        }
        assertEquals(List.of("runs/java-p/e02", "runs/java-p/e04"), saver.getSaved());
    }

    @Test
    void javaCallerGetsTheOptionNameInConfigurationErrors() {
        CheckpointConfigException e = assertThrows(CheckpointConfigException.class,
                () -> Ckpt.checkpoint("e{epoch}", options -> options.setKeepLast(0)));
        assertEquals("keepLast", e.option());
        assertEquals("keepLast: needs a count >= 1 (or null for no rule), got 0", e.getMessage());
    }

    @Test
    void javaCallerReadsTheDefaultsTheCoreBuilderAndTheCallbackHold() {
        CheckpointPolicy core = CheckpointPolicy.builder("e{epoch}").build();
        List<CheckpointOptions> seen = new ArrayList<>();
        CheckpointCallback saver = Ckpt.checkpoint("e{epoch}", seen::add);
        CheckpointOptions options = seen.get(0);
        assertEquals(core.monitor().metric(), options.getMonitor());
        assertEquals(core.mode(), options.getMode());
        assertEquals(core.saveFrequency(), options.getSaveFrequency());
        assertEquals(core.missingMonitor(), options.getOnMissingMonitor());
        assertEquals(core.retention().keepOnePer(), options.getKeepOnePer());
        assertEquals(core, saver.getPolicy());
        assertEquals(Duration.ofSeconds(25), options.getStopDeadline());
        assertEquals(SaveErrorAction.STOP, options.getOnSaveError());
        assertTrue(options.getAsync());
    }

    @Test
    void javaCallerListsRunsUnderARootWithTheDamagedApartAndAskingForTheBestFailsWhenNoneHasOne() throws IOException {
        java.nio.file.Files.createDirectories(dir.resolve("sweep/broken"));
        java.nio.file.Files.writeString(dir.resolve("sweep/broken/manifest.json"), "{ torn");
        RunList runs = Checkpoints.runs(dir.resolve("sweep"));
        assertEquals(List.of("broken"), runs.getDamaged().stream().map(RunSummary::getPath).toList());
        assertEquals(RunState.DAMAGED, runs.getAll().get(0).getState());
        assertEquals(List.of(), runs.getGroups());
        NoSuchElementException none = assertThrows(NoSuchElementException.class, () -> {
            RunSummary winner = runs.best("val_accuracy");
            Checkpoint best = winner.open().best();
            System.out.println(best.getLocation());
        });
        assertTrue(none.getMessage().startsWith("no run monitoring val_accuracy under "), none.getMessage());
    }
}

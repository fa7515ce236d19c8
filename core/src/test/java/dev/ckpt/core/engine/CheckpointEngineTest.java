package dev.ckpt.core.engine;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ckpt.core.CheckpointConfigException;
import dev.ckpt.core.policy.CheckpointPolicy;
import dev.ckpt.core.policy.MissingMonitor;
import dev.ckpt.core.policy.Retention;
import dev.ckpt.core.policy.SaveFrequency;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CheckpointEngineTest {
    private static final Map<String, Double> BATCH = Map.of("loss", 1.0);

    private final TestClock clock = new TestClock(0);

    private CheckpointEngine started(CheckpointPolicy.Builder policy) {
        CheckpointEngine engine = CheckpointEngine.start(policy.build(), clock);
        engine.onTrainBegin(null);
        return engine;
    }

    /** Runs one epoch of {@code batches} batches; commits a save at its end. */
    private static Decision epoch(CheckpointEngine engine, int epoch, int batches, Map<String, Double> logs) {
        engine.onEpochBegin(epoch);
        for (int b = 0; b < batches; b++) {
            engine.onBatchEnd(b, BATCH);
        }
        Decision d = engine.onEpochEnd(epoch, logs);
        if (d instanceof Decision.Save save) {
            engine.apply(save);
        }
        return d;
    }

    private static Map<String, Double> val(double valLoss) {
        return Map.of("loss", 1.0, "val_loss", valLoss);
    }

    // ---- template counters ----

    @Test
    void epochFieldIsOneBased() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/e{epoch:02d}"));
        Decision.Save save = assertInstanceOf(Decision.Save.class, epoch(engine, 0, 2, val(0.5)));
        assertEquals("ck/e01", save.path());
        assertEquals(1, save.epoch());
        assertNull(save.batch());
    }

    @Test
    void batchFieldIsOneBasedAndRestartsEachEpoch() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/e{epoch}-b{batch}").monitor("loss")
                .saveFrequency(SaveFrequency.everyBatches(1)));
        engine.onEpochBegin(0);
        assertEquals("ck/e1-b1", ((Decision.Save) engine.onBatchEnd(0, BATCH)).path());
        assertEquals("ck/e1-b2", ((Decision.Save) engine.onBatchEnd(1, BATCH)).path());
        engine.onEpochEnd(0, val(0.5));
        engine.onEpochBegin(1);
        assertEquals("ck/e2-b1", ((Decision.Save) engine.onBatchEnd(0, BATCH)).path());
    }

    @Test
    void stepFieldIsTheGlobalBatchCount() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/s{step}"));
        epoch(engine, 0, 3, val(0.5));
        Decision.Save save = assertInstanceOf(Decision.Save.class, epoch(engine, 1, 3, val(0.5)));
        assertEquals("ck/s6", save.path());
        assertEquals(6, save.step());
    }

    @Test
    void metricFieldsAreFormattedFromTheEventsLogs() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/e{epoch:02d}-{val_loss:.3f}"));
        assertEquals("ck/e01-0.125", ((Decision.Save) epoch(engine, 0, 1, val(0.125))).path());
    }

    @Test
    void aLoggedStepOrEpochDoesNotReplaceTheCounters() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/e{epoch}-s{step}"));
        Map<String, Double> logs = Map.of("loss", 1.0, "val_loss", 0.5, "epoch", 99.0, "step", 99.0);
        assertEquals("ck/e1-s2", ((Decision.Save) epoch(engine, 0, 2, logs)).path());
    }

    @Test
    void aLoggedBatchValueFillsTheBatchFieldAsInKeras() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/b{batch}").monitor("loss")
                .saveFrequency(SaveFrequency.everyBatches(1)));
        engine.onEpochBegin(0);
        assertEquals("ck/b7.0", ((Decision.Save) engine.onBatchEnd(0, Map.of("loss", 1.0, "batch", 7.0))).path());
    }

    // ---- best, threshold, minDelta ----

    @Test
    void initialValueThresholdMustBeBeatenNotMerelyMet() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/e{epoch}").saveBestOnly(true)
                .initialValueThreshold(0.5));
        assertInstanceOf(Decision.Skip.class, epoch(engine, 0, 1, val(0.5)));
        assertInstanceOf(Decision.Skip.class, epoch(engine, 1, 1, val(0.6)));
        Decision.Save save = assertInstanceOf(Decision.Save.class, epoch(engine, 2, 1, val(0.4)));
        assertEquals(0.5, save.previousBest());
    }

    @Test
    void initialValueThresholdDecidesNewBestEvenWhenSavingEveryEpoch() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/e{epoch}").initialValueThreshold(0.5));
        Decision.Save save = assertInstanceOf(Decision.Save.class, epoch(engine, 0, 1, val(0.6)));
        assertFalse(save.newBest());
        assertEquals(0.5, engine.state().best());
        assertNull(engine.checkpoints().bestPath());
    }

    @Test
    void minDeltaMustBeExceededToCountAsAnImprovement() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/e{epoch}").saveBestOnly(true).minDelta(0.125));
        assertInstanceOf(Decision.Save.class, epoch(engine, 0, 1, val(0.5)));
        assertInstanceOf(Decision.Skip.class, epoch(engine, 1, 1, val(0.375)));
        assertInstanceOf(Decision.Save.class, epoch(engine, 2, 1, val(0.25)));
    }

    @Test
    void bestAdvancesOnlyWhenTheSaveIsApplied() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/e{epoch}").saveBestOnly(true));
        engine.onEpochBegin(0);
        Decision d = engine.onEpochEnd(0, val(0.5));
        assertInstanceOf(Decision.Save.class, d);
        assertNull(engine.state().best(), "not applied yet");
        assertEquals(RunCheckpoints.none(), engine.checkpoints());
        engine.apply((Decision.Save) d);
        assertEquals(0.5, engine.state().best());
        assertEquals("e1", engine.checkpoints().bestPath());
    }

    @Test
    void aSaveThatIsNotAppliedLeavesBestAndCheckpointsAsTheyWere() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/e{epoch}").saveBestOnly(true));
        epoch(engine, 0, 1, val(0.5));
        RunCheckpoints before = engine.checkpoints();
        engine.onEpochBegin(1);
        assertInstanceOf(Decision.Save.class, engine.onEpochEnd(1, val(0.3))); // the write failed: not applied
        assertEquals(before, engine.checkpoints());
        assertEquals(0.5, engine.state().best());
        Decision.Save retry = assertInstanceOf(Decision.Save.class, epoch(engine, 2, 1, val(0.4)));
        assertEquals(0.5, retry.previousBest(), "the unapplied 0.3 never became the best");
    }

    @Test
    void aSaveDecidedBeforeAnotherWasAppliedIsRefused() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/e{epoch}"));
        engine.onEpochBegin(0);
        Decision.Save first = (Decision.Save) engine.onEpochEnd(0, val(0.5));
        engine.onEpochBegin(1);
        Decision.Save second = (Decision.Save) engine.onEpochEnd(1, val(0.4));
        engine.apply(first);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> engine.apply(second));
        assertTrue(e.getMessage().contains("ck/e2"), e.getMessage());
    }

    @Test
    void theSplitSavePointApiDecidesAsTheOneCallApi() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/s{step}").monitor("loss")
                .saveFrequency(SaveFrequency.everyBatches(2)));
        engine.onEpochBegin(0);
        assertFalse(engine.batchEnded(0));
        assertTrue(engine.batchEnded(1));
        assertEquals("ck/s2", assertInstanceOf(Decision.Save.class, engine.decide(BATCH)).path());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> engine.decide(BATCH));
        assertTrue(e.getMessage().startsWith("decide: no save point is pending"), e.getMessage());
    }

    // ---- missing monitor ----

    @Test
    void missingMonitorUnderSkipAndWarnSkipsAndListsTheLoggedNames() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/best").saveBestOnly(true));
        Decision.Skip skip = assertInstanceOf(Decision.Skip.class, epoch(engine, 0, 1, Map.of("loss", 0.3)));
        assertEquals(Decision.Reason.MISSING_MONITOR, skip.reason());
        assertEquals(List.of("loss"), skip.available());
        assertEquals("Epoch 1: cannot decide whether this is the best model: val_loss is missing from the logs "
                + "(logged: loss); skipping the save", skip.message());
    }

    @Test
    void missingMonitorUnderSaveAnywaySavesWithoutMarkingBest() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/e{epoch}").saveBestOnly(true)
                .onMissingMonitor(MissingMonitor.SAVE_ANYWAY));
        epoch(engine, 0, 1, val(0.5));
        Decision.Save save = assertInstanceOf(Decision.Save.class, epoch(engine, 1, 1, Map.of("loss", 0.3)));
        assertFalse(save.newBest());
        assertNull(save.monitorValue());
        assertEquals("e1", engine.checkpoints().bestPath());
        assertEquals(0.5, engine.state().best());
    }

    @Test
    void missingMonitorUnderFailStopsWithAnIllegalStateException() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/e{epoch}").saveBestOnly(true)
                .onMissingMonitor(MissingMonitor.FAIL));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> epoch(engine, 0, 1, Map.of("loss", 0.3)));
        assertTrue(e.getMessage().contains("'val_loss'"), e.getMessage());
    }

    @Test
    void missingMonitorDoesNotMatterWhenEveryCheckpointIsSaved() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/e{epoch}")
                .onMissingMonitor(MissingMonitor.FAIL));
        Decision.Save save = assertInstanceOf(Decision.Save.class, epoch(engine, 0, 1, Map.of("loss", 0.3)));
        assertFalse(save.newBest());
    }

    // ---- wall time ----

    @Test
    void wallTimeSavingSavesAtTheFirstBatchEndAfterTheInterval() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/s{step}").monitor("loss")
                .saveFrequency(SaveFrequency.every(Duration.ofMinutes(10))));
        engine.onEpochBegin(0);
        clock.set(Duration.ofMinutes(9).toMillis());
        assertEquals(Decision.none(), engine.onBatchEnd(0, BATCH));
        clock.set(Duration.ofMinutes(10).toMillis());
        assertEquals("ck/s2", assertInstanceOf(Decision.Save.class, engine.onBatchEnd(1, BATCH)).path());
    }

    @Test
    void wallTimeIsMeasuredFromTheLastSaveNotFromAFixedGrid() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/s{step}").monitor("loss")
                .saveFrequency(SaveFrequency.every(Duration.ofMinutes(10))));
        engine.onEpochBegin(0);
        clock.set(Duration.ofMinutes(13).toMillis());
        assertInstanceOf(Decision.Save.class, engine.onBatchEnd(0, BATCH));
        clock.set(Duration.ofMinutes(21).toMillis());
        assertEquals(Decision.none(), engine.onBatchEnd(1, BATCH));
        clock.set(Duration.ofMinutes(23).toMillis());
        assertInstanceOf(Decision.Save.class, engine.onBatchEnd(2, BATCH));
    }

    @Test
    void wallTimeCountsFromTrainBegin() {
        clock.set(Duration.ofHours(5).toMillis());
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/s{step}").monitor("loss")
                .saveFrequency(SaveFrequency.every(Duration.ofMinutes(10))));
        assertEquals(Duration.ofHours(5).toMillis(), engine.state().intervalAnchorMillis());
        clock.advance(Duration.ofMinutes(5));
        engine.onEpochBegin(0);
        assertEquals(Decision.none(), engine.onBatchEnd(0, BATCH));
        clock.advance(Duration.ofMinutes(5));
        assertInstanceOf(Decision.Save.class, engine.onBatchEnd(1, BATCH));
    }

    @Test
    void wallTimeSavingIgnoresEpochEnds() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/s{step}").monitor("loss")
                .saveFrequency(SaveFrequency.every(Duration.ofMinutes(10))));
        engine.onEpochBegin(0);
        clock.set(Duration.ofHours(1).toMillis());
        assertEquals(Decision.none(), engine.onEpochEnd(0, val(0.5)));
    }

    // ---- train begin checks ----

    @Test
    void trainBeginRefusesATemplateFieldTheModelDoesNotLog() {
        CheckpointEngine engine = CheckpointEngine.start(
                CheckpointPolicy.builder("ck/e{epoch}-{val_acc:.2f}").build(), clock);
        CheckpointConfigException e = assertThrows(CheckpointConfigException.class,
                () -> engine.onTrainBegin(List.of("loss", "val_loss", "accuracy", "val_accuracy")));
        assertEquals("filepath", e.option());
        assertTrue(e.getMessage().contains("accuracy, epoch, loss, step, val_accuracy, val_loss"), e.getMessage());
    }

    @Test
    void trainBeginRefusesAMonitorTheModelDoesNotLog() {
        CheckpointEngine engine = CheckpointEngine.start(
                CheckpointPolicy.builder("ck/best").monitor("val_accuracy").saveBestOnly(true).build(), clock);
        CheckpointConfigException e = assertThrows(CheckpointConfigException.class,
                () -> engine.onTrainBegin(List.of("loss", "val_loss")));
        assertEquals("monitor", e.option());
        assertTrue(e.getMessage().contains("loss, val_loss"), e.getMessage());
    }

    @Test
    void trainBeginAcceptsTheCountersEpochBatchAndStep() {
        CheckpointEngine engine = CheckpointEngine.start(CheckpointPolicy.builder("ck/e{epoch}-b{batch}-s{step}")
                .monitor("loss").saveFrequency(SaveFrequency.everyBatches(5)).build(), clock);
        assertDoesNotThrow(() -> engine.onTrainBegin(List.of("loss")));
    }

    @Test
    void trainBeginWarnsOnceWhenTheDefaultMonitorIsNotLoggedAndDecidesNothing() {
        CheckpointEngine engine = CheckpointEngine.start(CheckpointPolicy.builder("ck/e{epoch}").build(), clock);
        List<String> warnings = engine.onTrainBegin(List.of("loss"));
        assertEquals(1, warnings.size());
        assertTrue(warnings.get(0).startsWith("monitor: the default monitor 'val_loss' is not logged"), warnings.get(0));
        assertInstanceOf(Decision.Save.class, epoch(engine, 0, 1, Map.of("loss", 0.3)));
    }

    @Test
    void trainBeginRefusesAnExplicitMonitorTheModelDoesNotLogEvenWhenEveryEpochIsSaved() {
        CheckpointEngine engine = CheckpointEngine.start(
                CheckpointPolicy.builder("runs/x/e{epoch}").monitor("val_acc").mode(dev.ckpt.core.monitor.Mode.MAX)
                        .build(), clock);
        CheckpointConfigException e = assertThrows(CheckpointConfigException.class,
                () -> engine.onTrainBegin(List.of("accuracy", "loss", "val_accuracy", "val_loss")));
        assertEquals("monitor", e.option());
        assertEquals("monitor: 'val_acc' is not logged by the model; logged metrics: accuracy, loss, val_accuracy,"
                + " val_loss", e.getMessage());
    }

    @Test
    void trainBeginIsSilentWhenTheMonitorIsLogged() {
        CheckpointEngine engine = CheckpointEngine.start(CheckpointPolicy.builder("ck/e{epoch}").build(), clock);
        assertEquals(List.of(), engine.onTrainBegin(List.of("loss", "val_loss")));
    }

    @Test
    void trainBeginRefusesAnUnloggedMonitorThatRetentionRanksBy() {
        CheckpointEngine engine = CheckpointEngine.start(CheckpointPolicy.builder("ck/e{epoch}")
                .retention(Retention.keepAll().withKeepBest(2)).build(), clock);
        assertEquals("monitor", assertThrows(CheckpointConfigException.class,
                () -> engine.onTrainBegin(List.of("loss"))).option());
    }

    // ---- fixed path overwrite and retention ----

    @Test
    void bestIsClearedWhenItsPathIsOverwrittenByANonBestSave() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/latest"));
        epoch(engine, 0, 1, val(0.5));
        assertEquals("latest", engine.checkpoints().bestPath());
        epoch(engine, 1, 1, val(0.7));
        assertNull(engine.checkpoints().bestPath());
        assertEquals("latest", engine.checkpoints().latestPath());
        assertEquals(1, engine.checkpoints().kept().size());
    }

    @Test
    void theBestValueStillHasToBeBeatenAfterItsFilesWereOverwritten() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/latest"));
        epoch(engine, 0, 1, val(0.5));
        epoch(engine, 1, 1, val(0.7));
        assertFalse(((Decision.Save) epoch(engine, 2, 1, val(0.6))).newBest());
        assertTrue(((Decision.Save) epoch(engine, 3, 1, val(0.4))).newBest());
        assertEquals("latest", engine.checkpoints().bestPath());
    }

    @Test
    void keepEveryNthEpochKeepsThoseEpochsBesideTheLatest() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/e{epoch}").monitor("loss").mode(
                dev.ckpt.core.monitor.Mode.MIN).retention(Retention.keepAll().withKeepEveryNthEpoch(2)));
        for (int e = 0; e < 5; e++) {
            epoch(engine, e, 1, Map.of("loss", 1.0 + e));
        }
        assertEquals(List.of("e1", "e2", "e4", "e5"),
                engine.checkpoints().kept().stream().map(CheckpointRecord::path).toList());
    }

    @Test
    void aResumedEngineKeepsTheBestAndCountsOnFromTheExportedState() {
        CheckpointPolicy policy = CheckpointPolicy.builder("ck/s{step}").saveBestOnly(true).build();
        CheckpointEngine engine = CheckpointEngine.start(policy, clock);
        engine.onTrainBegin(null);
        epoch(engine, 0, 4, val(0.5));
        CheckpointEngine resumed = CheckpointEngine.resume(policy, engine.state(), engine.checkpoints(), clock);
        resumed.onTrainBegin(null);
        assertInstanceOf(Decision.Skip.class, epoch(resumed, 1, 4, val(0.6)));
        assertEquals("ck/s12", ((Decision.Save) epoch(resumed, 2, 4, val(0.4))).path());
    }

    @Test
    void checkpointPathsAreRelativeToTheRunDirectoryWhileThePathKeepsTheTemplatesSpelling() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("runs/digits/e{epoch:02d}/model"));
        Decision.Save save = assertInstanceOf(Decision.Save.class, epoch(engine, 0, 1, val(0.5)));
        assertEquals("runs/digits/e01/model", save.path());
        assertEquals("e01/model", save.checkpoint().path());
        assertEquals("e01/model", engine.checkpoints().latestPath());
    }

    @Test
    void epochEndIsNotASavePointForBatchLevelSaving() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/s{step}").monitor("loss")
                .saveFrequency(SaveFrequency.everyBatches(100)));
        engine.onEpochBegin(0);
        assertEquals(Decision.none(), engine.onEpochEnd(0, val(0.1)));
    }
}

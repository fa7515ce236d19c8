package dev.ckpt.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ckpt.core.CheckpointConfigException;
import dev.ckpt.core.monitor.Direction;
import dev.ckpt.core.monitor.MetricDirections;
import dev.ckpt.core.monitor.Mode;
import dev.ckpt.core.monitor.Monitor;
import dev.ckpt.core.policy.CheckpointPolicy;
import dev.ckpt.core.policy.KerasSuffix;
import dev.ckpt.core.policy.MissingMonitor;
import dev.ckpt.core.policy.Retention;
import dev.ckpt.core.policy.SaveFrequency;
import dev.ckpt.core.template.TemplateFormatException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Pins the exact text of every error and decision message of the monitor, policy and engine packages.
 * Each error names the option, the rejected value and what would be valid; a change here is a change
 * users see.
 */
class CoreMessagesTest {

    private static void assertConfigError(String option, String message, Executable call) {
        CheckpointConfigException e = assertThrows(CheckpointConfigException.class, call);
        assertEquals(message, e.getMessage());
        assertEquals(option, e.option());
        assertTrue(e.getMessage().startsWith(option + ": "), "the message starts with the option's name");
    }

    private static CheckpointPolicy.Builder policy(String filepath) {
        return CheckpointPolicy.builder(filepath);
    }

    // ---- monitor ----

    @Test
    void emptyMonitor() {
        assertConfigError("monitor", "monitor: needs a metric name such as val_loss, got \"\"",
                () -> policy("ck").monitor("").build());
    }

    @Test
    void negativeMinDelta() {
        assertConfigError("minDelta", "minDelta: needs a finite value >= 0, got -0.1",
                () -> policy("ck").minDelta(-0.1).build());
    }

    @Test
    void nanMinDelta() {
        assertConfigError("minDelta", "minDelta: needs a finite value >= 0, got NaN",
                () -> new Monitor("loss", Direction.MIN, Double.NaN));
    }

    @Test
    void autoCannotInferTheDirection() {
        assertConfigError("mode", "mode: AUTO cannot tell whether monitor 'val_dice' should be minimised or "
                        + "maximised; set mode = MIN or mode = MAX, or declare 'dice' in metricDirections",
                () -> policy("ck").monitor("val_dice").build());
    }

    @Test
    void autoCannotInferTheDirectionWithoutTheBuiltInTable() {
        assertConfigError("mode", "mode: AUTO cannot tell whether monitor 'accuracy' should be minimised or "
                        + "maximised; set mode = MIN or mode = MAX, or declare 'accuracy' in metricDirections",
                () -> Monitor.resolve("accuracy", Mode.AUTO, 0.0, MetricDirections.none()));
    }

    // ---- policy ----

    @Test
    void emptyFilepath() {
        assertConfigError("filepath", "filepath: needs a path template such as \"runs/x/e{epoch:02d}\", got \"\"",
                () -> policy("").build());
    }

    @Test
    void malformedFilepath() {
        CheckpointConfigException e = assertThrows(CheckpointConfigException.class, () -> policy("ck/e{epoch").build());
        assertEquals("filepath", e.option());
        assertTrue(e.getMessage().startsWith("filepath: "), e.getMessage());
        assertTrue(e.getMessage().contains("\"ck/e{epoch\""), e.getMessage());
        assertEquals("filepath: " + e.getCause().getMessage(), e.getMessage(), "the template's own message, prefixed");
    }

    @Test
    void filepathSpecThatDoesNotFitAFloat() {
        CheckpointConfigException e = assertThrows(CheckpointConfigException.class,
                () -> policy("ck/{val_loss:d}").build());
        assertEquals("filepath", e.option());
        assertTrue(e.getMessage().contains("val_loss"), e.getMessage());
        assertEquals("filepath: " + e.getCause().getMessage(), e.getMessage());
    }

    @Test
    void kerasSuffixWarning() {
        assertEquals(List.of("filepath: \"model_checkpoints/best_model.h5\" ends in \".h5\", but KotlinDL's native"
                        + " format is a directory: checkpoints will be directories named"
                        + " \"model_checkpoints/best_model.h5\", not single files; kerasSuffix = STRIP names them"
                        + " \"model_checkpoints/best_model\""),
                policy("model_checkpoints/best_model.h5").build().warnings());
    }

    @Test
    void kerasSuffixStrippedToNothing() {
        assertConfigError("filepath", "filepath: \"runs/.keras\" without its Keras suffix \".keras\" (kerasSuffix ="
                        + " STRIP) names no checkpoint; write a name before the suffix, such as \"runs/best.keras\"",
                () -> policy("runs/.keras").kerasSuffix(KerasSuffix.STRIP).build());
    }

    @Test
    void nanThreshold() {
        assertConfigError("initialValueThreshold", "initialValueThreshold: needs a number or null, got NaN",
                () -> policy("ck").initialValueThreshold(Double.NaN).build());
    }

    @Test
    void filepathThatNamesOnlyADirectory() {
        assertConfigError("filepath", "filepath: \"runs/x/\" ends with '/', so it names the run directory but no "
                + "checkpoint in it; add a name such as \"runs/x/e{epoch:02d}\"", () -> policy("runs/x/").build());
    }

    @Test
    void filepathWithADotDotSegmentBelowTheRunDirectory() {
        assertConfigError("filepath", "filepath: \"runs/e{epoch}/../x\" has the path segment \"..\" below its run "
                + "directory \"runs\"; checkpoint paths inside a run need non-empty names without '.' or '..' segments",
                () -> policy("runs/e{epoch}/../x").build());
    }

    @Test
    void validationFieldWithBatchLevelSaving() {
        assertConfigError("filepath", "filepath: field 'val_loss' in \"ck/{val_loss:.2f}\" can never be filled: "
                        + "saveFrequency everyBatches(10) saves at batch ends, whose logs hold no validation metrics; "
                        + "use saveFrequency = everyEpoch() or a training metric",
                () -> policy("ck/{val_loss:.2f}").monitor("loss").saveFrequency(SaveFrequency.everyBatches(10)).build());
    }

    @Test
    void batchFieldWithEpochLevelSaving() {
        assertConfigError("filepath", "filepath: field 'batch' in \"ck/b{batch}\" can never be filled: "
                        + "saveFrequency everyEpoch() saves at epoch ends, where there is no batch; "
                        + "use {epoch} or {step}, or save every N batches",
                () -> policy("ck/b{batch}").build());
    }

    @Test
    void validationMonitorForBatchLevelBestOnly() {
        assertConfigError("monitor", "monitor: 'val_loss' is never logged at batch ends, where saveFrequency "
                        + "every(PT30M) decides; saveBestOnly needs a training metric such as 'loss', "
                        + "or saveFrequency = everyEpoch()",
                () -> policy("ck/s{step}").saveBestOnly(true)
                        .saveFrequency(SaveFrequency.every(Duration.ofMinutes(30))).build());
    }

    @Test
    void validationMonitorForBatchLevelKeepBest() {
        assertConfigError("monitor", "monitor: 'val_accuracy' is never logged at batch ends, where saveFrequency "
                        + "everyBatches(5) decides; keepBest needs a training metric such as 'loss', "
                        + "or saveFrequency = everyEpoch()",
                () -> policy("ck/s{step}").monitor("val_accuracy").saveFrequency(SaveFrequency.everyBatches(5))
                        .retention(Retention.keepAll().withKeepBest(2)).build());
    }

    @Test
    void zeroBatches() {
        assertConfigError("saveFrequency", "saveFrequency: every N batches needs N >= 1, got 0",
                () -> SaveFrequency.everyBatches(0));
    }

    @Test
    void zeroEpochs() {
        assertConfigError("saveFrequency", "saveFrequency: every N epochs needs N >= 1, got 0",
                () -> SaveFrequency.everyEpochs(0));
    }

    @Test
    void batchFieldWithEveryNthEpochSaving() {
        assertConfigError("filepath", "filepath: field 'batch' in \"ck/b{batch}\" can never be filled: "
                        + "saveFrequency everyEpochs(5) saves at epoch ends, where there is no batch; "
                        + "use {epoch} or {step}, or save every N batches",
                () -> policy("ck/b{batch}").saveFrequency(SaveFrequency.everyEpochs(5)).build());
    }

    @Test
    void nonPositiveInterval() {
        assertConfigError("saveFrequency", "saveFrequency: every(interval) needs a positive duration, got PT-1S",
                () -> SaveFrequency.every(Duration.ofSeconds(-1)));
    }

    @Test
    void unreadableKerasSaveFreq() {
        assertConfigError("saveFrequency",
                "saveFrequency: expected \"epoch\" or a whole number of batches >= 1, got \"batch\"",
                () -> SaveFrequency.parse("batch"));
    }

    @Test
    void keepBestBelowOne() {
        assertConfigError("keepBest", "keepBest: needs a count >= 1 (or null for no rule), got 0",
                () -> Retention.keepAll().withKeepBest(0));
    }

    @Test
    void keepLastBelowOne() {
        assertConfigError("keepLast", "keepLast: needs a count >= 1 (or null for no rule), got -2",
                () -> Retention.keepAll().withKeepLast(-2));
    }

    @Test
    void keepEveryNthEpochBelowOne() {
        assertConfigError("keepEveryNthEpoch", "keepEveryNthEpoch: needs a count >= 1 (or null for no rule), got 0",
                () -> Retention.keepAll().withKeepEveryNthEpoch(0));
    }

    @Test
    void keepOnePerNotPositive() {
        assertConfigError("keepOnePer", "keepOnePer: needs a positive duration (or null for no rule), got PT0S",
                () -> Retention.keepAll().withKeepOnePer(Duration.ZERO));
        assertConfigError("keepOnePer", "keepOnePer: needs a positive duration (or null for no rule), got PT-6H",
                () -> policy("ck/e{epoch}").keepOnePer(Duration.ofHours(-6)));
    }

    // ---- engine ----

    @Test
    void templateFieldNotLogged() {
        CheckpointEngine engine = CheckpointEngine.start(policy("ck/{val_acc:.2f}").build(), new TestClock(0));
        assertConfigError("filepath", "filepath: field 'val_acc' in \"ck/{val_acc:.2f}\" is not logged by the model; "
                        + "available: accuracy, epoch, loss, step, val_accuracy, val_loss",
                () -> engine.onTrainBegin(List.of("loss", "accuracy", "val_loss", "val_accuracy")));
    }

    @Test
    void monitorNotLogged() {
        CheckpointEngine engine = CheckpointEngine.start(policy("ck").saveBestOnly(true).build(), new TestClock(0));
        assertConfigError("monitor", "monitor: 'val_loss' is not logged by the model; logged metrics: accuracy, loss",
                () -> engine.onTrainBegin(List.of("loss", "accuracy")));
    }

    @Test
    void explicitMonitorNotLoggedWhileEveryEpochIsSaved() {
        CheckpointEngine engine = CheckpointEngine.start(policy("ck/e{epoch}").monitor("val_acc").mode(Mode.MAX).build(),
                new TestClock(0));
        assertConfigError("monitor", "monitor: 'val_acc' is not logged by the model; logged metrics: accuracy, loss, "
                + "val_accuracy, val_loss", () -> engine.onTrainBegin(List.of("loss", "accuracy", "val_loss", "val_accuracy")));
    }

    @Test
    void defaultMonitorNotLoggedIsAWarning() {
        CheckpointEngine engine = CheckpointEngine.start(policy("ck/e{epoch}").build(), new TestClock(0));
        assertEquals(List.of("monitor: the default monitor 'val_loss' is not logged by the model (logged metrics: "
                + "accuracy, loss), so no checkpoint is marked best; checkpoints are still saved as scheduled. Set "
                + "monitor to one of the logged metrics, or pass validation data to fit() to log val_loss"),
                engine.onTrainBegin(List.of("loss", "accuracy")));
    }

    @Test
    void decideWithoutASavePoint() {
        CheckpointEngine engine = CheckpointEngine.start(policy("ck/e{epoch}").build(), new TestClock(0));
        engine.onTrainBegin(null);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> engine.decide(Map.of()));
        assertEquals("decide: no save point is pending; call it right after batchEnded or epochEnded returned true, "
                + "once per save point", e.getMessage());
    }

    @Test
    void applyOutOfOrder() {
        CheckpointEngine engine = CheckpointEngine.start(policy("ck/e{epoch}").build(), new TestClock(0));
        engine.onTrainBegin(null);
        Decision.Save first = (Decision.Save) engine.onEpochEnd(0, Map.of("val_loss", 0.5));
        engine.apply(first);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> engine.apply(first));
        assertEquals("apply: the save of ck/e1 was decided against checkpoints that have changed since; apply each "
                + "save once, in the order they were decided, before deciding the next", e.getMessage());
    }

    @Test
    void runCheckpointsWithABestThatIsNotKept() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RunCheckpoints(List.of(new CheckpointRecord("e1", 1, null, 1, Map.of(), null, java.time.Instant.EPOCH)), "e2", "e1"));
        assertEquals("checkpoints: best \"e2\" is not among the kept [e1]", e.getMessage());
    }

    @Test
    void runCheckpointsListingAPathTwice() {
        CheckpointRecord c = new CheckpointRecord("e1", 1, null, 1, Map.of(), null, java.time.Instant.EPOCH);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new RunCheckpoints(List.of(c, c), null, null));
        assertEquals("checkpoints: \"e1\" is listed twice", e.getMessage());
    }

    @Test
    void checkpointRecordWithANegativeStep() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CheckpointRecord("e1", 1, null, -1, Map.of(), null, java.time.Instant.EPOCH));
        assertEquals("checkpoint e1: epoch, batch and step must be >= 0, got epoch 1, batch null, step -1",
                e.getMessage());
    }

    @Test
    void missingMonitorUnderFail() {
        CheckpointEngine engine = CheckpointEngine.start(policy("ck/s{step}").monitor("loss").saveBestOnly(true)
                .saveFrequency(SaveFrequency.everyBatches(2)).onMissingMonitor(MissingMonitor.FAIL).build(),
                new TestClock(0));
        engine.onTrainBegin(null);
        engine.onEpochBegin(0);
        engine.onBatchEnd(0, Map.of());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> engine.onBatchEnd(1, Map.of("accuracy", 0.5, "lr", 0.01)));
        assertEquals("onMissingMonitor: FAIL stops training because monitor 'loss' is missing from the logs at "
                + "epoch 1, batch 2 (logged: accuracy, lr); log it at every save point, or set "
                + "onMissingMonitor = SKIP_AND_WARN or SAVE_ANYWAY", e.getMessage());
    }

    @Test
    void pathFieldMissingAtASave() {
        CheckpointEngine engine = CheckpointEngine.start(policy("ck/{val_accuracy:.2f}").build(), new TestClock(0));
        engine.onTrainBegin(null);
        engine.onEpochBegin(0);
        TemplateFormatException e = assertThrows(TemplateFormatException.class,
                () -> engine.onEpochEnd(0, Map.of("loss", 0.5, "val_loss", 0.4)));
        assertTrue(e.getMessage().contains("val_accuracy"), e.getMessage());
        assertTrue(e.getMessage().contains("val_loss"), "lists what is available: " + e.getMessage());
    }

    @Test
    void nullMetricValue() {
        CheckpointEngine engine = CheckpointEngine.start(policy("ck/e{epoch}").build(), new TestClock(0));
        engine.onTrainBegin(null);
        engine.onEpochBegin(1);
        Map<String, Double> logs = new java.util.HashMap<>();
        logs.put("loss", 0.5);
        logs.put("val_loss", null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> engine.onEpochEnd(1, logs));
        assertEquals("logs: metric 'val_loss' has the value null at epoch 2; give a number (NaN if it diverged), "
                + "or leave the name out when it was not measured", e.getMessage());
    }

    @Test
    void negativeEngineStateCounter() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new EngineState(-2, 0, 0, 0, 0, null, null));
        assertEquals("engine state: counters must be >= 0 (currentEpoch >= -1), got currentEpoch=-2, "
                + "completedEpochs=0, lastBatchSeen=0, batchesSinceSave=0, globalStep=0", e.getMessage());
    }

    // ---- decisions ----

    /** A save decision as the engine would make it; only the message matters here. */
    private static Decision.Save save(String path, int epoch, Integer batch, long step, String monitor, Double value,
                                      boolean newBest, Double previousBest, boolean bestOnly) {
        CheckpointRecord record = new CheckpointRecord(path, epoch, batch, step, Map.of(), value, java.time.Instant.EPOCH);
        SavePlan plan = new SavePlan(EngineState.initial(null), RunCheckpoints.none(),
                new RunCheckpoints(List.of(record), null, path), List.of());
        return new Decision.Save(path, record, monitor, newBest, previousBest, bestOnly, plan);
    }

    @Test
    void saveOfANewBest() {
        Decision.Save s = save("ck/e03", 3, null, 30, "val_loss", 0.295, true, 0.312, true);
        assertEquals("Epoch 3: val_loss improved from 0.3120 to 0.2950, saving model to ck/e03", s.message());
    }

    @Test
    void saveOfTheFirstBestAtABatch() {
        Decision.Save s = save("ck/s4", 1, 4, 4, "loss", 0.5, true, null, true);
        assertEquals("Epoch 1, batch 4: loss improved from none to 0.5000, saving model to ck/s4", s.message());
    }

    @Test
    void saveWithoutTheMonitor() {
        Decision.Save s = save("ck/best", 2, null, 8, "val_loss", null, false, 0.3, true);
        assertEquals("Epoch 2: val_loss is missing from the logs; saving model to ck/best anyway (not marked best)",
                s.message());
    }

    @Test
    void plainSaveThatIsNotTheBest() {
        Decision.Save s = save("ck/e2", 2, null, 8, "val_loss", 0.3, false, 0.2, false);
        assertEquals("Epoch 2: saving model to ck/e2; val_loss 0.3000, best remains 0.2000", s.message());
    }

    @Test
    void plainSaveThatIsANewBest() {
        Decision.Save s = save("ck/e2", 2, null, 8, "val_loss", 0.1, true, 0.2, false);
        assertEquals("Epoch 2: saving model to ck/e2; val_loss improved from 0.2000 to 0.1000, new best", s.message());
    }

    @Test
    void plainSaveWithoutTheMonitor() {
        Decision.Save s = save("ck/e2", 2, null, 8, "val_loss", null, false, 0.2, false);
        assertEquals("Epoch 2: saving model to ck/e2 (val_loss not logged)", s.message());
    }

    @Test
    void skipNotImproved() {
        Decision.Skip s = new Decision.Skip(4, null, Decision.Reason.NOT_IMPROVED, "val_loss", 0.4, 0.25, List.of());
        assertEquals("Epoch 4: val_loss did not improve from 0.2500", s.message());
    }

    @Test
    void skipNanAgainstNothing() {
        Decision.Skip s = new Decision.Skip(1, null, Decision.Reason.NOT_IMPROVED, "val_loss", Double.NaN, null,
                List.of());
        assertEquals("Epoch 1: val_loss did not improve from none", s.message());
    }

    @Test
    void skipMissingMonitor() {
        Decision.Skip s = new Decision.Skip(1, 20, Decision.Reason.MISSING_MONITOR, "loss", null, null,
                List.of("accuracy"));
        assertEquals("Epoch 1, batch 20: cannot decide whether this is the best model: loss is missing from the "
                + "logs (logged: accuracy); skipping the save", s.message());
    }

    @Test
    void noDecisionSaysNothing() {
        assertEquals("", Decision.none().message());
    }
}

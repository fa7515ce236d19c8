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
import dev.ckpt.core.policy.SaveFrequency;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** ckpt's six deliberate deviations from Keras 3's ModelCheckpoint, one named test each. */
class KerasDeviationsTest {

    private static CheckpointEngine started(CheckpointPolicy policy) {
        CheckpointEngine engine = CheckpointEngine.start(policy, new TestClock(0));
        engine.onTrainBegin(null);
        return engine;
    }

    private static Decision epoch(CheckpointEngine engine, int epoch, Map<String, Double> logs) {
        engine.onEpochBegin(epoch);
        engine.onBatchEnd(0, Map.of("loss", 1.0));
        Decision d = engine.onEpochEnd(epoch, logs);
        if (d instanceof Decision.Save save) {
            engine.apply(save);
        }
        return d;
    }

    @Test
    @DisplayName("nan-never-becomes-best: a NaN first value is skipped and the next real value is saved as best")
    void nanNeverBecomesBest() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/e{epoch}").saveBestOnly(true).build());

        Decision first = epoch(engine, 0, Map.of("loss", 1.0, "val_loss", Double.NaN));
        assertInstanceOf(Decision.Skip.class, first);
        assertNull(engine.state().best(), "NaN must not become best");

        Decision second = epoch(engine, 1, Map.of("loss", 1.0, "val_loss", 0.7));
        Decision.Save save = assertInstanceOf(Decision.Save.class, second);
        assertEquals("ck/e2", save.path());
        assertTrue(save.newBest());
        assertEquals(0.7, engine.state().best());
    }

    @Test
    @DisplayName("missing-monitor-skips-instead-of-saving: an epoch without validation saves nothing by default")
    void missingMonitorSkipsInsteadOfSaving() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/best").saveBestOnly(true).build());
        epoch(engine, 0, Map.of("loss", 1.0, "val_loss", 0.5));

        Decision d = epoch(engine, 1, Map.of("loss", 0.9));

        Decision.Skip skip = assertInstanceOf(Decision.Skip.class, d);
        assertEquals(Decision.Reason.MISSING_MONITOR, skip.reason());
        assertEquals(0.5, engine.state().best());
        assertEquals(1, engine.checkpoints().kept().size());
    }

    @Test
    @DisplayName("path-formatted-only-when-saving: a field missing at a skipped save point is no error")
    void pathFormattedOnlyWhenSaving() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/acc{val_accuracy:.2f}")
                .saveBestOnly(true).build());
        epoch(engine, 0, Map.of("loss", 1.0, "val_loss", 0.5, "val_accuracy", 0.8));

        Decision d = assertDoesNotThrow(() -> epoch(engine, 1, Map.of("loss", 0.9, "val_loss", 0.6)));

        assertEquals(Decision.Reason.NOT_IMPROVED, assertInstanceOf(Decision.Skip.class, d).reason());
    }

    @Test
    @DisplayName("direction-error-at-build-not-at-first-epoch-end: AUTO on an unknown metric fails in build()")
    void directionErrorAtBuildNotAtFirstEpochEnd() {
        CheckpointPolicy.Builder builder = CheckpointPolicy.builder("ck/e{epoch}").monitor("val_dice").saveBestOnly(true);

        CheckpointConfigException e = assertThrows(CheckpointConfigException.class, builder::build);

        assertEquals("mode", e.option());
    }

    @Nested
    @DisplayName("template-or-monitor-that-cannot-be-filled-refused-at-build")
    class TemplateOrMonitorThatCannotBeFilledRefusedAtBuild {
        @Test
        void aValidationMonitorForBatchLevelBestOnlyIsRefused() {
            CheckpointPolicy.Builder b = CheckpointPolicy.builder("ck/s{step}").monitor("val_loss")
                    .saveBestOnly(true).saveFrequency(SaveFrequency.everyBatches(10));
            assertEquals("monitor", assertThrows(CheckpointConfigException.class, b::build).option());
        }

        @Test
        void aValidationFieldWithBatchLevelSavingIsRefused() {
            CheckpointPolicy.Builder b = CheckpointPolicy.builder("ck/s{step}-{val_loss:.2f}").monitor("loss")
                    .saveFrequency(SaveFrequency.everyBatches(10));
            assertEquals("filepath", assertThrows(CheckpointConfigException.class, b::build).option());
        }

        @Test
        void aBatchFieldWithEpochLevelSavingIsRefused() {
            CheckpointPolicy.Builder b = CheckpointPolicy.builder("ck/e{epoch}-b{batch}");
            assertEquals("filepath", assertThrows(CheckpointConfigException.class, b::build).option());
        }
    }

    @Test
    @DisplayName("keras-crashes-batch-best-before-first-epoch-end: two batch-level bests in the first epoch both save")
    void batchLevelBestOnlySavesTwiceBeforeTheFirstEpochEnds() {
        CheckpointEngine engine = started(CheckpointPolicy.builder("ck/s{step}").monitor("loss").saveBestOnly(true)
                .saveFrequency(SaveFrequency.everyBatches(1)).build());
        engine.onEpochBegin(0);

        Decision.Save a = assertInstanceOf(Decision.Save.class, engine.onBatchEnd(0, Map.of("loss", 0.9)));
        engine.apply(a);
        Decision.Save b = assertInstanceOf(Decision.Save.class, engine.onBatchEnd(1, Map.of("loss", 0.8)));
        engine.apply(b);

        assertEquals(List.of("ck/s1", "ck/s2"), List.of(a.path(), b.path()));
        assertTrue(a.newBest() && b.newBest());
        assertFalse(engine.onBatchEnd(2, Map.of("loss", 0.85)) instanceof Decision.Save);
    }
}

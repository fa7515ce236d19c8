package dev.ckpt.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ckpt.core.monitor.Mode;
import dev.ckpt.core.policy.CheckpointPolicy;
import dev.ckpt.core.policy.Retention;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** The resume point: proposed where the engine stands, never best, never kept, never counted by retention. */
class ResumePointTest {
    private static final Map<String, Double> BATCH = Map.of("loss", 1.0);

    private static CheckpointEngine bestOnly() {
        CheckpointEngine engine = CheckpointEngine.start(CheckpointPolicy.builder("runs/x/e{epoch:02d}")
                .monitor("val_loss").mode(Mode.MIN).saveBestOnly(true).retention(Retention.keepAll().withKeepLast(1))
                .build(), new TestClock(0));
        engine.onTrainBegin(null);
        return engine;
    }

    private static Decision epoch(CheckpointEngine engine, int epoch, int batches, double valLoss) {
        engine.onEpochBegin(epoch);
        for (int b = 0; b < batches; b++) {
            engine.onBatchEnd(b, BATCH);
        }
        Decision d = engine.onEpochEnd(epoch, Map.of("loss", 1.0, "val_loss", valLoss));
        if (d instanceof Decision.Save save) {
            engine.apply(save);
        }
        return d;
    }

    @Test
    void aResumePointAtAnEpochEndAfterNoImprovementHoldsThatEpochAndTheEngineStateThere() {
        CheckpointEngine engine = bestOnly();
        epoch(engine, 0, 3, 0.5);
        assertInstanceOf(Decision.Skip.class, epoch(engine, 1, 3, 0.7));
        ResumePoint point = engine.resumePoint(Map.of("loss", 1.0, "val_loss", 0.7));
        assertEquals("resume-e0002-end-s000006", point.path());
        assertEquals(2, point.checkpoint().epoch());
        assertNull(point.checkpoint().batch());
        assertEquals(6, point.checkpoint().step());
        assertEquals(engine.state(), point.plan().state());
        assertEquals(2, point.plan().state().completedEpochs());
        assertEquals(0.5, point.plan().state().best());
    }

    @Test
    void aResumePointInsideAnEpochNamesTheBatchAfterWhichItStands() {
        CheckpointEngine engine = bestOnly();
        epoch(engine, 0, 3, 0.5);
        engine.onEpochBegin(1);
        engine.onBatchEnd(0, BATCH);
        engine.onBatchEnd(1, BATCH);
        ResumePoint point = engine.resumePoint(BATCH);
        assertEquals("resume-e0002-b0002-s000005", point.path());
        assertEquals(2, point.checkpoint().batch());
        assertEquals(1, point.plan().state().currentEpoch());
        assertEquals(1, point.plan().state().completedEpochs());
    }

    @Test
    void applyingAResumePointChangesNeitherTheCheckpointsNorTheBest() {
        CheckpointEngine engine = bestOnly();
        epoch(engine, 0, 2, 0.5);
        RunCheckpoints before = engine.checkpoints();
        epoch(engine, 1, 2, 0.9);
        ResumePoint point = engine.resumePoint(Map.of("loss", 1.0, "val_loss", 0.9));
        engine.apply(point);
        assertSame(before, engine.checkpoints());
        assertEquals("e01", engine.checkpoints().bestPath());
        assertEquals(0.5, engine.state().best());
        assertTrue(point.plan().released().isEmpty());
    }

    @Test
    void aResumePointProposedBeforeASaveWasAppliedIsRefused() {
        CheckpointEngine engine = bestOnly();
        engine.onEpochBegin(0);
        engine.onBatchEnd(0, BATCH);
        ResumePoint stale = engine.resumePoint(BATCH);
        engine.onBatchEnd(1, BATCH);
        engine.apply(assertInstanceOf(Decision.Save.class, engine.onEpochEnd(0, Map.of("loss", 1.0, "val_loss", 0.4))));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> engine.apply(stale));
        assertTrue(e.getMessage().contains("resume-e0001-b0001-s000001"), e.getMessage());
    }

    @Test
    void noResumePointBeforeAnythingTrained() {
        CheckpointEngine engine = bestOnly();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> engine.resumePoint(BATCH));
        assertEquals("resumePoint: nothing has trained yet (epoch -1, step 0); a resume point holds at least one"
                + " trained batch", e.getMessage());
    }

    @Test
    void noResumePointWhileASavePointAwaitsItsDecision() {
        CheckpointEngine engine = bestOnly();
        engine.onEpochBegin(0);
        engine.onBatchEnd(0, BATCH);
        assertTrue(engine.epochEnded(0));
        assertThrows(IllegalStateException.class, () -> engine.resumePoint(BATCH));
    }

    /** Unique final names: every position in a run gets its own resume point name, so none overwrites another. */
    @Property(tries = 200)
    void resumePointNamesNeverRepeatWithinARun(@ForAll @IntRange(min = 1, max = 6) int epochs,
                                               @ForAll @IntRange(min = 1, max = 7) int batches) {
        CheckpointEngine engine = bestOnly();
        java.util.Set<String> names = new java.util.HashSet<>();
        int proposed = 0;
        for (int e = 0; e < epochs; e++) {
            engine.onEpochBegin(e);
            for (int b = 0; b < batches; b++) {
                engine.onBatchEnd(b, BATCH);
                assertTrue(names.add(engine.resumePoint(BATCH).path()));
                proposed++;
            }
            if (engine.onEpochEnd(e, Map.of("loss", 1.0, "val_loss", 1.0 + e)) instanceof Decision.Save save) {
                engine.apply(save);
            }
            assertTrue(names.add(engine.resumePoint(BATCH).path()));
            proposed++;
        }
        assertEquals(epochs * (batches + 1), proposed);
        assertEquals(List.of("e01"), engine.checkpoints().kept().stream().map(CheckpointRecord::path).toList());
    }
}

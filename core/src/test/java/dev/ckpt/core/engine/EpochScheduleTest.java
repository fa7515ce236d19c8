package dev.ckpt.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.ckpt.core.policy.CheckpointPolicy;
import dev.ckpt.core.policy.SaveFrequency;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/** {@code SaveFrequency.everyEpochs(n)}: TF 2.4's {@code period}, by epoch number, across a resume. */
class EpochScheduleTest {
    private final TestClock clock = new TestClock(0);

    private static CheckpointPolicy.Builder every(int n) {
        return CheckpointPolicy.builder("ck/e{epoch:02d}").saveFrequency(SaveFrequency.everyEpochs(n));
    }

    /** Runs epochs {@code from} (0-based) up to {@code to} (exclusive), applying each save; returns the saved paths. */
    private static List<String> run(CheckpointEngine engine, int from, int to, double[] valLoss) {
        List<String> saved = new ArrayList<>();
        for (int epoch = from; epoch < to; epoch++) {
            engine.onEpochBegin(epoch);
            for (int b = 0; b < 3; b++) {
                assertFalse(engine.batchEnded(b), "everyEpochs never saves at a batch end");
            }
            Decision d = engine.onEpochEnd(epoch, Map.of("loss", 1.0, "val_loss", valLoss[epoch]));
            if (d instanceof Decision.Save save) {
                engine.apply(save);
                saved.add(save.path());
            }
        }
        return saved;
    }

    private CheckpointEngine started(CheckpointPolicy policy) {
        CheckpointEngine engine = CheckpointEngine.start(policy, clock);
        engine.onTrainBegin(null);
        return engine;
    }

    private static double[] flat(int epochs) {
        double[] v = new double[epochs];
        java.util.Arrays.fill(v, 0.5);
        return v;
    }

    @Test
    void everyTwoEpochsOverFiveSavesExactlyEpochsTwoAndFour() {
        assertEquals(List.of("ck/e02", "ck/e04"), run(started(every(2).build()), 0, 5, flat(5)));
    }

    @Test
    void everyFiveEpochsOverTenSavesExactlyEpochsFiveAndTen() {
        assertEquals(List.of("ck/e05", "ck/e10"), run(started(every(5).build()), 0, 10, flat(10)));
    }

    @Test
    void withSaveBestOnlyTheBestIsJudgedOnlyAtThoseEpochs() {
        // Epochs 1 and 3 have the lowest val_loss but are not save points: epoch 4 still beats epoch 2.
        double[] valLoss = {0.1, 0.9, 0.05, 0.8, 0.85, 0.7};
        CheckpointEngine engine = started(every(2).saveBestOnly(true).build());
        assertEquals(List.of("ck/e02", "ck/e04", "ck/e06"), run(engine, 0, 6, valLoss));
        assertEquals(0.7, engine.state().best());
        assertEquals("e06", engine.checkpoints().bestPath());
    }

    @Test
    void aResumedRunSavesAtTheSameEpochsWithNoSaveMovedOrDoubled() {
        CheckpointPolicy policy = every(3).build();
        CheckpointEngine first = started(policy);
        // Saves e03, then epochs 4 and 5 end unsaved and the process stops: the run stored e03's state.
        List<String> saved = new ArrayList<>(run(first, 0, 3, flat(9)));
        EngineState stored = first.state();
        run(first, 3, 5, flat(9));
        CheckpointEngine resumed = CheckpointEngine.resume(policy, stored, first.checkpoints(), clock);
        resumed.onTrainBegin(null);
        saved.addAll(run(resumed, stored.completedEpochs(), 9, flat(9)));
        assertEquals(List.of("ck/e03", "ck/e06", "ck/e09"), saved);
    }

    @Property(tries = 200)
    void anyResumePointGivesTheSavesOfAnUninterruptedRun(@ForAll @IntRange(min = 1, max = 6) int n,
                                                        @ForAll @IntRange(min = 1, max = 20) int epochs,
                                                        @ForAll long seed) {
        Random r = new Random(seed);
        double[] valLoss = new double[epochs];
        for (int i = 0; i < epochs; i++) {
            valLoss[i] = r.nextInt(10) / 10.0;
        }
        boolean bestOnly = r.nextBoolean();
        CheckpointPolicy policy = every(n).saveBestOnly(bestOnly).build();
        List<String> uninterrupted = run(started(policy), 0, epochs, valLoss);

        // Stop after a random epoch; resume from the state of the last save (or from scratch), as a run does.
        int stop = r.nextInt(epochs + 1);
        CheckpointEngine first = started(policy);
        List<String> saved = new ArrayList<>();
        EngineState stored = first.state();
        RunCheckpoints kept = first.checkpoints();
        for (int epoch = 0; epoch < stop; epoch++) {
            List<String> now = run(first, epoch, epoch + 1, valLoss);
            if (!now.isEmpty()) {
                saved.addAll(now);
                stored = first.state();
                kept = first.checkpoints();
            }
        }
        CheckpointEngine resumed = CheckpointEngine.resume(policy, stored, kept, clock);
        resumed.onTrainBegin(null);
        saved.addAll(run(resumed, stored.completedEpochs(), epochs, valLoss));

        // Epochs redone after the resume were not saved before (the stored state is the last save's): none doubles.
        assertEquals(uninterrupted, saved, "n=" + n + " stop=" + stop);
        for (String path : uninterrupted) {
            assertEquals(0, Integer.parseInt(path.substring("ck/e".length())) % n, path + " is not a multiple of " + n);
        }
    }

    @Test
    void everyOneEpochIsEveryEpoch() {
        assertSame(SaveFrequency.everyEpoch(), SaveFrequency.everyEpochs(1));
    }

    @Test
    void thePeriodIsPartOfThePolicyFingerprint() {
        assertEquals("epochs:2", SaveFrequency.everyEpochs(2).describe());
        assertEquals("everyEpochs(2)", SaveFrequency.everyEpochs(2).toString());
        assertNotEquals(every(2).build().fingerprint(), every(3).build().fingerprint());
        assertNotEquals(every(2).build().fingerprint(), CheckpointPolicy.builder("ck/e{epoch:02d}").build().fingerprint());
    }
}

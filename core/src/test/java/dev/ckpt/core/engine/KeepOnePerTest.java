package dev.ckpt.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.ckpt.core.policy.CheckpointPolicy;
import dev.ckpt.core.policy.Retention;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code Retention.keepOnePer(span)}: TF's keep_checkpoint_every_n_hours, by the engine's clock, across a resume. */
class KeepOnePerTest {
    private static final Duration TWO_HOURS = Duration.ofHours(2);

    private final TestClock clock = new TestClock(0);

    private static CheckpointPolicy policy() {
        // val_loss rises, so the best stays e01 (kept anyway) and does not hide what keep-one-per keeps.
        return CheckpointPolicy.builder("ck/e{epoch:02d}").keepLast(1).keepOnePer(Duration.ofHours(6)).build();
    }

    /** Epochs {@code from}..{@code to - 1} (0-based), each ending two hours after the previous one. */
    private List<String> run(CheckpointEngine engine, int from, int to) {
        List<String> released = new ArrayList<>();
        for (int epoch = from; epoch < to; epoch++) {
            clock.set(TWO_HOURS.toMillis() * (epoch + 1));
            engine.onEpochBegin(epoch);
            Decision.Save save = (Decision.Save) engine.onEpochEnd(epoch, Map.of("loss", 1.0, "val_loss", 0.1 * (epoch + 1)));
            engine.apply(save);
            save.plan().released().forEach(c -> released.add(c.path()));
        }
        return released;
    }

    private static List<String> paths(RunCheckpoints checkpoints) {
        return checkpoints.kept().stream().map(CheckpointRecord::path).toList();
    }

    @Test
    void oneCheckpointPerSixHoursIsKeptForGoodBesidesTheLastOne() {
        CheckpointEngine engine = CheckpointEngine.start(policy(), clock);
        engine.onTrainBegin(null);
        List<String> released = run(engine, 0, 10);
        // Saved at hours 2, 4, ..., 20: the chain is e01 (2h), e04 (8h), e07 (14h), e10 (20h).
        assertEquals(List.of("e01", "e04", "e07", "e10"), paths(engine.checkpoints()));
        assertEquals(List.of("e02", "e03", "e05", "e06", "e08", "e09"), released);
    }

    @Test
    void eachCheckpointCarriesTheEngineClockWhenItWasDecided() {
        CheckpointEngine engine = CheckpointEngine.start(policy(), clock);
        engine.onTrainBegin(null);
        run(engine, 0, 4);
        assertEquals(List.of(Instant.ofEpochSecond(2 * 3600), Instant.ofEpochSecond(8 * 3600)),
                engine.checkpoints().kept().stream().map(CheckpointRecord::createdAt).toList());
    }

    @Test
    void aResumedRunKeepsTheSameChainAsAnUninterruptedOne() {
        CheckpointEngine first = CheckpointEngine.start(policy(), clock);
        first.onTrainBegin(null);
        List<String> released = new ArrayList<>(run(first, 0, 5));
        // A new process: the state and the checkpoints (with their createdAt) as the run's manifest holds them.
        RunCheckpoints fromManifest = new RunCheckpoints(new ArrayList<>(first.checkpoints().kept()),
                first.checkpoints().bestPath(), first.checkpoints().latestPath());
        CheckpointEngine resumed = CheckpointEngine.resume(policy(), first.state(), fromManifest, clock);
        resumed.onTrainBegin(null);
        released.addAll(run(resumed, 5, 10));
        assertEquals(List.of("e01", "e04", "e07", "e10"), paths(resumed.checkpoints()));
        assertEquals(List.of("e02", "e03", "e05", "e06", "e08", "e09"), released);
    }

    @Test
    void pruningAFinishedRunWithTheRuleKeepsTheSameChain() {
        CheckpointEngine engine = CheckpointEngine.start(CheckpointPolicy.builder("ck/e{epoch:02d}").build(), clock);
        engine.onTrainBegin(null);
        run(engine, 0, 10);
        List<String> released = engine.checkpoints()
                .releasedBy(Retention.keepAll().withKeepLast(1).withKeepOnePer(Duration.ofHours(6)),
                        dev.ckpt.core.monitor.Direction.MIN)
                .stream().map(CheckpointRecord::path).toList();
        assertEquals(List.of("e02", "e03", "e05", "e06", "e08", "e09"), released);
    }

    @Test
    void theRuleIsPartOfTheFingerprintAndTheSummary() {
        Retention r = Retention.keepAll().withKeepOnePer(Duration.ofHours(6));
        assertEquals("keep one per PT6H", r.summary());
        assertEquals("best:null,last:null,everyNthEpoch:null,onePer:PT6H", r.describe());
        // Runs written before the rule existed keep their fingerprint text.
        assertEquals("best:null,last:2,everyNthEpoch:null", Retention.keepAll().withKeepLast(2).describe());
    }
}

package dev.ckpt.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ckpt.core.monitor.Direction;
import dev.ckpt.core.policy.Retention;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link RunCheckpoints#releasedBy}: retention applied to a run's checkpoints outside training. */
class RunCheckpointsReleaseTest {

    /**
     * e1..e6 with val_accuracy 0.50, 0.70, 0.90, 0.60, 0.80, NaN, created at minutes 0, 100, 190, 250, 370, 400;
     * best e3, latest e6.
     */
    private static RunCheckpoints sixEpochs() {
        double[] values = {0.50, 0.70, 0.90, 0.60, 0.80, Double.NaN};
        long[] minutes = {0, 100, 190, 250, 370, 400};
        List<CheckpointRecord> kept = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            kept.add(record("e" + (i + 1), i + 1, values[i], minutes[i] * 60));
        }
        return new RunCheckpoints(kept, "e3", "e6");
    }

    private static CheckpointRecord record(String path, int epoch, Double value, long createdAtSecond) {
        return new CheckpointRecord(path, epoch, null, epoch * 10L, value == null ? Map.of() : Map.of("val_accuracy", value),
                value, Instant.ofEpochSecond(createdAtSecond));
    }

    static Stream<Arguments> rules() {
        return Stream.of(
                Arguments.of("keep all releases nothing", Retention.keepAll(), Direction.MAX, List.of()),
                Arguments.of("keep last 1 keeps only the best and the latest", Retention.keepAll().withKeepLast(1),
                        Direction.MAX, List.of("e1", "e2", "e4", "e5")),
                Arguments.of("keep last 3 keeps e4 to e6 and the best", Retention.keepAll().withKeepLast(3),
                        Direction.MAX, List.of("e1", "e2")),
                Arguments.of("keep best 2 by MAX keeps e3 and e5 and the latest", Retention.keepAll().withKeepBest(2),
                        Direction.MAX, List.of("e1", "e2", "e4")),
                Arguments.of("keep best 2 by MIN keeps e1 and e4, the best and the latest",
                        Retention.keepAll().withKeepBest(2), Direction.MIN, List.of("e2", "e5")),
                Arguments.of("rules combine: best 1 or last 2", Retention.keepAll().withKeepBest(1).withKeepLast(2),
                        Direction.MAX, List.of("e1", "e2", "e4")),
                Arguments.of("every 2nd epoch keeps e2, e4 and e6 and the best",
                        Retention.keepAll().withKeepEveryNthEpoch(2), Direction.MAX, List.of("e1", "e5")),
                Arguments.of("one per 3 hours keeps the chain e1, e3 (190 min), e5 (exactly 180 min later)",
                        Retention.keepAll().withKeepOnePer(Duration.ofHours(3)), Direction.MAX, List.of("e2", "e4")),
                Arguments.of("one per 4 hours keeps e1 and e4 (250 min); with every 2nd epoch only e5 goes",
                        Retention.keepAll().withKeepOnePer(Duration.ofHours(4)).withKeepEveryNthEpoch(2), Direction.MAX,
                        List.of("e5")),
                Arguments.of("one per 10 hours keeps only the first, besides the best and the latest",
                        Retention.keepAll().withKeepOnePer(Duration.ofHours(10)), Direction.MAX,
                        List.of("e2", "e4", "e5")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rules")
    void retentionReleasesWhatNoRuleKeeps(String name, Retention rules, Direction direction, List<String> released) {
        assertEquals(released, paths(sixEpochs().releasedBy(rules, direction)));
    }

    @Test
    void aRunWithoutCheckpointsReleasesNothing() {
        assertEquals(List.of(), RunCheckpoints.none().releasedBy(Retention.keepAll().withKeepLast(1), Direction.MIN));
    }

    @Test
    void missingArgumentsAreNamed() {
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> sixEpochs().releasedBy(null, Direction.MAX));
        assertEquals("rules", e.getMessage());
        e = assertThrows(NullPointerException.class, () -> sixEpochs().releasedBy(Retention.keepAll(), null));
        assertEquals("direction", e.getMessage());
    }

    @Property(tries = 300)
    void releasingNeverTouchesTheBestOrTheLatestAndIsStableOnWhatRemains(
            @ForAll long seed, @ForAll @IntRange(min = 1, max = 12) int size) {
        Random r = new Random(seed);
        List<CheckpointRecord> kept = new ArrayList<>();
        long second = 0;
        for (int i = 0; i < size; i++) {
            Double value = r.nextInt(6) == 0 ? null : r.nextInt(8) == 0 ? Double.NaN : (double) r.nextInt(5);
            second += r.nextInt(3 * 3600);
            kept.add(record("e" + (i + 1), i + 1, value, second));
        }
        String best = r.nextBoolean() ? null : kept.get(r.nextInt(size)).path();
        String latest = kept.get(size - 1).path();
        RunCheckpoints run = new RunCheckpoints(kept, best, latest);
        Retention rules = new Retention(r.nextBoolean() ? null : 1 + r.nextInt(3), r.nextBoolean() ? null : 1 + r.nextInt(3),
                r.nextInt(4) == 0 ? 1 + r.nextInt(3) : null, r.nextInt(3) == 0 ? Duration.ofHours(1 + r.nextInt(4)) : null);
        Direction direction = r.nextBoolean() ? Direction.MIN : Direction.MAX;

        List<CheckpointRecord> released = run.releasedBy(rules, direction);
        Set<String> gone = released.stream().map(CheckpointRecord::path).collect(Collectors.toSet());
        assertFalse(gone.contains(latest), "released the latest");
        if (best != null) {
            assertFalse(gone.contains(best), "released the best");
        }
        assertTrue(kept.containsAll(released), "released a checkpoint the run does not keep");
        List<CheckpointRecord> remaining = new ArrayList<>(kept);
        remaining.removeAll(released);
        if (rules.keepLast() != null && rules.keepBest() == null && rules.keepEveryNthEpoch() == null
                && rules.keepOnePer() == null) {
            assertTrue(remaining.size() <= rules.keepLast() + 1, "keep last " + rules.keepLast() + " kept " + remaining);
        }
        // Applying the same rules to what they kept releases nothing more: pruning twice is pruning once.
        assertEquals(List.of(), new RunCheckpoints(remaining, best, latest).releasedBy(rules, direction));
    }

    private static List<String> paths(List<CheckpointRecord> records) {
        return records.stream().map(CheckpointRecord::path).toList();
    }
}

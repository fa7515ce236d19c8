package dev.ckpt.core.engine;

import dev.ckpt.core.policy.CheckpointPolicy;
import dev.ckpt.core.policy.MissingMonitor;
import dev.ckpt.core.template.TemplateFormatException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Training events as data, and a driver that feeds them to an engine and records what it answered. */
final class Events {
    private Events() {
    }

    sealed interface Event permits EpochBegin, BatchEnd, EpochEnd {
    }

    record EpochBegin(int epoch) implements Event {
    }

    record BatchEnd(int batch, Map<String, Double> logs) implements Event {
    }

    record EpochEnd(int epoch, Map<String, Double> logs) implements Event {
    }

    /** What the engine answered to one event: its decision, what retention released, or the error. */
    record Outcome(int index, Decision decision, List<String> released, String error) {
    }

    /** The milliseconds the clock shows at event {@code index}: every event takes 7 s. */
    static long timeOf(int index) {
        return index * 7_000L;
    }

    /**
     * Passes only the exceptions the engine documents for a save point whose logs lack what the policy needs:
     * a missing monitor under {@code onMissingMonitor = FAIL}, or a template field with no value. Anything else
     * (a null-pointer error, a broken invariant) is a bug, and fails the property with the event and the cause.
     */
    static void requireDocumented(CheckpointPolicy policy, Event e, RuntimeException ex, String context) {
        Map<String, Double> logs = e instanceof BatchEnd b ? b.logs() : e instanceof EpochEnd end ? end.logs() : null;
        boolean missingMonitor = ex instanceof IllegalStateException && logs != null && policy.saveBestOnly()
                && policy.missingMonitor() == MissingMonitor.FAIL && !logs.containsKey(policy.monitor().metric())
                && String.valueOf(ex.getMessage()).startsWith("onMissingMonitor: FAIL");
        boolean missingField = ex instanceof TemplateFormatException t && logs != null && t.missingField() != null
                && !logs.containsKey(t.missingField());
        if (!missingMonitor && !missingField) {
            throw new AssertionError("undocumented " + ex + " at " + e + "\n" + context, ex);
        }
    }

    /**
     * Feeds {@code events[from, to)} to {@code engine}, committing every save; stops after an error, which must
     * be one the engine documents ({@link #requireDocumented}).
     *
     * @return false if an event failed
     */
    static boolean run(CheckpointEngine engine, TestClock clock, List<Event> events, int from, int to,
                       List<Outcome> out) {
        for (int i = from; i < to; i++) {
            clock.set(timeOf(i));
            Event e = events.get(i);
            Decision d;
            try {
                if (e instanceof EpochBegin b) {
                    engine.onEpochBegin(b.epoch());
                    d = Decision.none();
                } else if (e instanceof BatchEnd b) {
                    d = engine.onBatchEnd(b.batch(), b.logs());
                } else {
                    EpochEnd end = (EpochEnd) e;
                    d = engine.onEpochEnd(end.epoch(), end.logs());
                }
            } catch (RuntimeException ex) {
                requireDocumented(engine.policy(), e, ex, "event " + i);
                out.add(new Outcome(i, null, List.of(), ex.getClass().getSimpleName() + ": " + ex.getMessage()));
                return false;
            }
            List<String> released = d instanceof Decision.Save save ? applied(engine, save) : List.of();
            out.add(new Outcome(i, d, released, null));
        }
        return true;
    }

    /** Applies {@code save} as a successful write would, and returns the paths retention released. */
    static List<String> applied(CheckpointEngine engine, Decision.Save save) {
        engine.apply(save);
        return save.plan().released().stream().map(CheckpointRecord::path).toList();
    }

    /** Epochs with the given numbers of batches, every log from {@code batchLogs} / {@code epochLogs}. */
    static List<Event> epochs(List<Integer> batchCounts, Map<String, Double> batchLogs,
                              Map<String, Double> epochLogs) {
        List<Event> out = new ArrayList<>();
        for (int epoch = 0; epoch < batchCounts.size(); epoch++) {
            out.add(new EpochBegin(epoch));
            for (int batch = 0; batch < batchCounts.get(epoch); batch++) {
                out.add(new BatchEnd(batch, batchLogs));
            }
            out.add(new EpochEnd(epoch, epochLogs));
        }
        return out;
    }
}

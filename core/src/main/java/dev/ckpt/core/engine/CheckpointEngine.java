package dev.ckpt.core.engine;

import dev.ckpt.core.CheckpointConfigException;
import dev.ckpt.core.monitor.Monitor;
import dev.ckpt.core.policy.CheckpointPolicy;
import dev.ckpt.core.policy.MissingMonitor;
import dev.ckpt.core.policy.SaveFrequency;
import dev.ckpt.core.policy.TemplateValues;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Decides, event by event, when a checkpoint is saved, whether it is the best, and which earlier
 * checkpoints retention releases — Keras's {@code ModelCheckpoint} logic, minus its pitfalls, with no
 * I/O. Feed it training events; carry out its {@link Decision}s; report each written save with
 * {@link #onCommitted}.
 *
 * <pre>{@code
 * CheckpointEngine engine = CheckpointEngine.start(policy, Clock.systemUTC());
 * engine.onTrainBegin(List.of("loss", "accuracy", "val_loss", "val_accuracy"));
 * engine.onEpochBegin(0);
 * engine.onBatchEnd(0, Map.of("loss", 0.9, "accuracy", 0.6));
 * if (engine.onEpochEnd(0, logs) instanceof Decision.Save save) {
 *     writeCheckpoint(save.path());
 *     List<String> release = engine.onCommitted(save);   // delete these, if you wish
 * }
 * }</pre>
 *
 * <p>Epoch and batch indices are 0-based as Keras passes them to callbacks; the template's
 * {@code {epoch}} and {@code {batch}} are 1-based as in Keras, and {@code {step}} is the global batch
 * count. Where ckpt deliberately differs from Keras: NaN never becomes best; a missing monitored value
 * skips a best-only save (or fails, or saves unmarked, per policy); the path is formatted only for a
 * save that happens; best advances only when a save is committed. Not thread-safe: one training loop
 * drives one engine.
 */
public final class CheckpointEngine {
    private final CheckpointPolicy policy;
    private final Clock clock;
    private EngineState state;

    private CheckpointEngine(CheckpointPolicy policy, EngineState state, Clock clock) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.state = Objects.requireNonNull(state, "state");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** An engine for a new run. */
    public static CheckpointEngine start(CheckpointPolicy policy, Clock clock) {
        return new CheckpointEngine(policy, EngineState.initial(policy.initialValueThreshold()), clock);
    }

    /** An engine that continues a run from an exported {@link #state()}. */
    public static CheckpointEngine resume(CheckpointPolicy policy, EngineState state, Clock clock) {
        return new CheckpointEngine(policy, state, clock);
    }

    /** The policy this engine applies. */
    public CheckpointPolicy policy() {
        return policy;
    }

    /** The engine's whole state, to store and later {@link #resume}. */
    public EngineState state() {
        return state;
    }

    /**
     * Training begins. When {@code loggedNames} is given (the metric names the model logs, e.g. loss,
     * accuracy, val_loss, val_accuracy), every template field and a monitor the policy relies on must
     * be among them (or be epoch/batch/step); otherwise this fails now, before any epoch runs. Pass
     * null when the names are not known: fields are then checked when a path is formatted.
     *
     * @throws CheckpointConfigException naming the field or monitor and listing the valid names
     */
    public void onTrainBegin(Collection<String> loggedNames) {
        if (loggedNames != null) {
            checkNames(loggedNames);
        }
        if (state.intervalAnchorMillis() == null) {
            state = withAnchor(state, clock.millis());
        }
    }

    /** An epoch (0-based index) begins. */
    public void onEpochBegin(int epoch) {
        EngineState s = state;
        state = new EngineState(epoch, s.completedEpochs(), s.lastBatchSeen(), s.batchesSinceSave(), s.globalStep(),
                s.best(), s.intervalAnchorMillis(), s.checkpoints(), s.bestPath(), s.latestPath());
    }

    /**
     * A training batch (0-based index within the epoch) ended with {@code logs} (training metrics).
     *
     * @throws dev.ckpt.core.template.TemplateFormatException if a save's path cannot be formatted
     * @throws IllegalStateException if the monitored value is missing and the policy says FAIL
     * @throws IllegalArgumentException if a save point's logs map a name to null
     */
    public Decision onBatchEnd(int batch, Map<String, Double> logs) {
        EngineState s = state;
        long added = batch <= s.lastBatchSeen() ? batch + 1L : (long) batch - s.lastBatchSeen();
        long since = s.batchesSinceSave() + added;
        long step = s.globalStep() + 1;
        Long anchor = s.intervalAnchorMillis();
        boolean due = false;
        SaveFrequency frequency = policy.saveFrequency();
        if (frequency instanceof SaveFrequency.EveryBatches every) {
            due = since >= every.batches();
            if (due) {
                since = 0;
            }
        } else if (frequency instanceof SaveFrequency.EveryInterval every) {
            long now = clock.millis();
            if (anchor == null) {
                anchor = now;
            }
            due = now - anchor >= every.interval().toMillis();
            if (due) {
                anchor = now;
            }
        }
        state = new EngineState(s.currentEpoch(), s.completedEpochs(), batch, since, step, s.best(), anchor,
                s.checkpoints(), s.bestPath(), s.latestPath());
        return due ? decide(Math.max(s.currentEpoch(), 0), batch, logs) : Decision.none();
    }

    /**
     * An epoch (0-based index) ended with {@code logs} (training and validation metrics).
     *
     * @throws dev.ckpt.core.template.TemplateFormatException if a save's path cannot be formatted
     * @throws IllegalStateException if the monitored value is missing and the policy says FAIL
     * @throws IllegalArgumentException if a save point's logs map a name to null
     */
    public Decision onEpochEnd(int epoch, Map<String, Double> logs) {
        EngineState s = state;
        state = new EngineState(epoch, Math.max(s.completedEpochs(), epoch + 1), s.lastBatchSeen(),
                s.batchesSinceSave(), s.globalStep(), s.best(), s.intervalAnchorMillis(), s.checkpoints(),
                s.bestPath(), s.latestPath());
        return policy.saveFrequency().batchLevel() ? Decision.none() : decide(epoch, null, logs);
    }

    /**
     * The caller has durably written {@code save}. Records it, advances the best value if it was a new
     * best, and returns the paths of earlier checkpoints that retention now releases — never the best,
     * never the latest, never a path not committed through this engine.
     */
    public List<String> onCommitted(Decision.Save save) {
        Objects.requireNonNull(save, "save");
        EngineState s = state;
        List<CommittedCheckpoint> list = new ArrayList<>();
        for (CommittedCheckpoint c : s.checkpoints()) {
            if (!c.path().equals(save.path())) {
                list.add(c);
            }
        }
        list.add(new CommittedCheckpoint(save.path(), save.epoch(), save.batch(), save.step(), save.monitorValue()));
        Double best = s.best();
        String bestPath = s.bestPath();
        if (save.newBest()) {
            best = save.monitorValue();
            bestPath = save.path();
        } else if (save.path().equals(bestPath)) {
            bestPath = null; // the best checkpoint's files were just replaced by a model that is not the best
        }
        List<String> released = Retain.released(policy.retention(), policy.monitor().direction(), list,
                bestPath, save.path());
        list.removeIf(c -> released.contains(c.path()));
        state = new EngineState(s.currentEpoch(), s.completedEpochs(), s.lastBatchSeen(), s.batchesSinceSave(),
                s.globalStep(), best, s.intervalAnchorMillis(), list, bestPath, save.path());
        return released;
    }

    private Decision decide(int epoch, Integer batch, Map<String, Double> logs) {
        Objects.requireNonNull(logs, "logs");
        for (Map.Entry<String, Double> e : logs.entrySet()) {
            if (e.getValue() == null) {
                // a null would otherwise surface later as a bare NullPointerException, or pass as "missing"
                throw new IllegalArgumentException("logs: metric '" + e.getKey() + "' has the value null at epoch "
                        + (epoch + 1) + (batch == null ? "" : ", batch " + (batch + 1))
                        + "; give a number (NaN if it diverged), or leave the name out when it was not measured");
            }
        }
        Monitor monitor = policy.monitor();
        Double value = logs.get(monitor.metric());
        Double best = state.best();
        int epochNumber = epoch + 1;
        Integer batchNumber = batch == null ? null : batch + 1;
        if (policy.saveBestOnly()) {
            if (value == null) {
                MissingMonitor rule = policy.missingMonitor();
                if (rule == MissingMonitor.FAIL) {
                    throw new IllegalStateException("onMissingMonitor: FAIL stops training because monitor '"
                            + monitor.metric() + "' is missing from the logs at epoch " + epochNumber
                            + (batchNumber == null ? "" : ", batch " + batchNumber) + " (logged: "
                            + String.join(", ", names(logs)) + "); log it at every save point, or set"
                            + " onMissingMonitor = SKIP_AND_WARN or SAVE_ANYWAY");
                }
                if (rule == MissingMonitor.SKIP_AND_WARN) {
                    return new Decision.Skip(epochNumber, batchNumber, Decision.Reason.MISSING_MONITOR,
                            monitor.metric(), null, best, names(logs));
                }
                return save(epoch, batch, logs, null, false, best);
            }
            if (!monitor.improves(value, best)) {
                return new Decision.Skip(epochNumber, batchNumber, Decision.Reason.NOT_IMPROVED, monitor.metric(),
                        value, best, names(logs));
            }
            return save(epoch, batch, logs, value, true, best);
        }
        boolean newBest = value != null && monitor.improves(value, best);
        return save(epoch, batch, logs, value, newBest, best);
    }

    private Decision.Save save(int epoch, Integer batch, Map<String, Double> logs, Double value, boolean newBest,
                               Double previousBest) {
        Map<String, Object> values = new HashMap<>(logs);
        values.put(TemplateValues.EPOCH, (long) epoch + 1);
        values.put(TemplateValues.STEP, state.globalStep());
        if (batch != null && !logs.containsKey(TemplateValues.BATCH)) {
            values.put(TemplateValues.BATCH, (long) batch + 1);
        }
        String path = policy.filepath().format(values);
        return new Decision.Save(path, epoch + 1, batch == null ? null : batch + 1, state.globalStep(), logs,
                policy.monitor().metric(), value, newBest, previousBest, policy.saveBestOnly());
    }

    private void checkNames(Collection<String> loggedNames) {
        TreeSet<String> available = new TreeSet<>(loggedNames);
        available.add(TemplateValues.EPOCH);
        available.add(TemplateValues.STEP);
        if (policy.saveFrequency().batchLevel()) {
            available.add(TemplateValues.BATCH);
        }
        for (String field : policy.filepath().fieldNames()) {
            if (!available.contains(field)) {
                throw new CheckpointConfigException("filepath", "filepath: field '" + field + "' in \""
                        + policy.filepath().source() + "\" is not logged by the model; available: "
                        + String.join(", ", available));
            }
        }
        String monitor = policy.monitor().metric();
        boolean monitorUsed = policy.saveBestOnly() || policy.retention().keepBest() != null;
        if (monitorUsed && !loggedNames.contains(monitor)) {
            throw new CheckpointConfigException("monitor", "monitor: '" + monitor
                    + "' is not logged by the model; logged metrics: " + String.join(", ", new TreeSet<>(loggedNames)));
        }
    }

    private static List<String> names(Map<String, Double> logs) {
        return List.copyOf(new TreeSet<>(logs.keySet()));
    }

    private static EngineState withAnchor(EngineState s, long anchor) {
        return new EngineState(s.currentEpoch(), s.completedEpochs(), s.lastBatchSeen(), s.batchesSinceSave(),
                s.globalStep(), s.best(), anchor, s.checkpoints(), s.bestPath(), s.latestPath());
    }
}

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
 * I/O. Feed it training events; write what its {@link Decision.Save}s ask for; then {@link #apply} them.
 *
 * <p>Checkpoint paths in the engine's records and plans ({@link CheckpointRecord#path()}) are relative to the
 * run directory ({@link CheckpointPolicy#runDirectory()}); {@link Decision.Save#path()} is the whole formatted
 * filepath. Resolve both against the same directory, as here (the README's example, compiled and run by the samples'
 * tests):
 *
 * <!-- snippet: samples/src/test/java/dev/ckpt/samples/docs/CoreEngineExample.java#engine -->
 * <pre>{@code
 * CheckpointEngine engine = CheckpointEngine.start(policy, Clock.systemUTC());
 * Path run = Path.of(policy.runDirectory());   // checkpoint paths in the engine's plans are relative to it
 * engine.onTrainBegin(List.of("loss", "accuracy", "val_loss", "val_accuracy"));
 * for (int epoch = 0; epoch < epochs; epoch++) {
 *     engine.onEpochBegin(epoch);
 *     Map<String, Double> logs = train(epoch);   // your training: the epoch's metrics
 *     if (engine.onEpochEnd(epoch, logs) instanceof Decision.Save save) {
 *         write(run.resolve(save.checkpoint().path()));   // your I/O; if it throws, do not apply: the engine is unchanged
 *         engine.apply(save);                             // adopt the save: best value and retained checkpoints move on
 *         for (CheckpointRecord gone : save.plan().released()) {
 *             delete(run.resolve(gone.path()));           // what retention lets go, inside the run directory
 *         }
 *     }
 * }
 * }</pre>
 *
 * <p>A save is two-phase. The decision <em>proposes</em>: its {@link SavePlan} says what the run looks like
 * once the save is durable, and the engine changes nothing. The caller writes, then <em>applies</em>; a
 * failed write leaves the engine exactly as it was. Callers that write in the background split each save
 * point in two ({@link #batchEnded} or {@link #epochEnded}, then {@link #decide}), so that they can wait for
 * the previous save and apply it before the next decision, which depends on it.
 *
 * <p>Epoch and batch indices are 0-based as Keras passes them to callbacks; the template's
 * {@code {epoch}} and {@code {batch}} are 1-based as in Keras, and {@code {step}} is the global batch
 * count. Where ckpt deliberately differs from Keras: NaN never becomes best; a missing monitored value
 * skips a best-only save (or fails, or saves unmarked, per policy); the path is formatted only for a
 * save that happens; best advances only when a save is applied. Not thread-safe: one training loop
 * drives one engine.
 */
public final class CheckpointEngine {
    private final CheckpointPolicy policy;
    private final Clock clock;
    private EngineState state;
    private RunCheckpoints checkpoints;
    /** The save point reached by the last {@link #batchEnded} or {@link #epochEnded}, until decided. */
    private SavePoint pending;

    private record SavePoint(int epoch, Integer batch) {
    }

    private CheckpointEngine(CheckpointPolicy policy, EngineState state, RunCheckpoints checkpoints, Clock clock) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.state = Objects.requireNonNull(state, "state");
        this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** An engine for a new run. */
    public static CheckpointEngine start(CheckpointPolicy policy, Clock clock) {
        return new CheckpointEngine(policy, EngineState.initial(policy.initialValueThreshold()), RunCheckpoints.none(),
                clock);
    }

    /**
     * An engine that continues a run: {@code state} as stored with the run's latest commit, {@code checkpoints}
     * as its manifest lists them.
     */
    public static CheckpointEngine resume(CheckpointPolicy policy, EngineState state, RunCheckpoints checkpoints,
                                          Clock clock) {
        return new CheckpointEngine(policy, state, checkpoints, clock);
    }

    /** The policy this engine applies. */
    public CheckpointPolicy policy() {
        return policy;
    }

    /** The counters and best value now. */
    public EngineState state() {
        return state;
    }

    /** The checkpoints the run keeps, as applied so far. */
    public RunCheckpoints checkpoints() {
        return checkpoints;
    }

    /**
     * Training begins. When {@code loggedNames} is given (the metric names the model logs, e.g. loss,
     * accuracy, val_loss, val_accuracy), every template field must be among them (or be epoch/batch/step),
     * and so must the monitor when the caller set it or the policy relies on it; otherwise this fails now,
     * before any epoch runs. Pass null when the names are not known: fields are then checked when a path
     * is formatted.
     *
     * @return warnings to show the user, e.g. that the default monitor {@code val_loss} is not logged (empty when none)
     * @throws CheckpointConfigException naming the field or monitor and listing the valid names
     */
    public List<String> onTrainBegin(Collection<String> loggedNames) {
        List<String> warnings = loggedNames == null ? List.of() : checkNames(loggedNames);
        if (state.intervalAnchorMillis() == null) {
            EngineState s = state;
            state = new EngineState(s.currentEpoch(), s.completedEpochs(), s.lastBatchSeen(), s.batchesSinceSave(),
                    s.globalStep(), s.best(), clock.millis());
        }
        return warnings;
    }

    /** An epoch (0-based index) begins. */
    public void onEpochBegin(int epoch) {
        EngineState s = state;
        state = new EngineState(epoch, s.completedEpochs(), s.lastBatchSeen(), s.batchesSinceSave(), s.globalStep(),
                s.best(), s.intervalAnchorMillis());
    }

    /**
     * A training batch (0-based index within the epoch) ended with {@code logs} (training metrics):
     * {@link #batchEnded} and, at a save point, {@link #decide}.
     *
     * @throws dev.ckpt.core.template.TemplateFormatException if a save's path cannot be formatted
     * @throws IllegalStateException if the monitored value is missing and the policy says FAIL
     * @throws IllegalArgumentException if a save point's logs map a name to null
     */
    public Decision onBatchEnd(int batch, Map<String, Double> logs) {
        return batchEnded(batch) ? decide(logs) : Decision.none();
    }

    /**
     * An epoch (0-based index) ended with {@code logs} (training and validation metrics):
     * {@link #epochEnded} and, at a save point, {@link #decide}.
     *
     * @throws dev.ckpt.core.template.TemplateFormatException if a save's path cannot be formatted
     * @throws IllegalStateException if the monitored value is missing and the policy says FAIL
     * @throws IllegalArgumentException if a save point's logs map a name to null
     */
    public Decision onEpochEnd(int epoch, Map<String, Double> logs) {
        return epochEnded(epoch) ? decide(logs) : Decision.none();
    }

    /**
     * Counts a finished training batch (0-based index within the epoch) without looking at its logs.
     *
     * @return true when it is a save point: call {@link #decide} next, with the batch's logs
     */
    public boolean batchEnded(int batch) {
        EngineState s = state;
        long added = batch <= s.lastBatchSeen() ? batch + 1L : (long) batch - s.lastBatchSeen();
        long since = s.batchesSinceSave() + added;
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
        state = new EngineState(s.currentEpoch(), s.completedEpochs(), batch, since, s.globalStep() + 1, s.best(),
                anchor);
        pending = due ? new SavePoint(Math.max(s.currentEpoch(), 0), batch) : null;
        return due;
    }

    /**
     * Counts a finished epoch (0-based index).
     *
     * @return true when it is a save point: call {@link #decide} next, with the epoch's logs
     */
    public boolean epochEnded(int epoch) {
        EngineState s = state;
        state = new EngineState(epoch, Math.max(s.completedEpochs(), epoch + 1), s.lastBatchSeen(),
                s.batchesSinceSave(), s.globalStep(), s.best(), s.intervalAnchorMillis());
        SaveFrequency frequency = policy.saveFrequency();
        // By epoch number, not a count since train begin: a resumed run saves at the same epochs (TF 2.4 counts).
        boolean due = !frequency.batchLevel()
                && (!(frequency instanceof SaveFrequency.EveryEpochs every) || every.savesAfter(epoch + 1));
        pending = due ? new SavePoint(epoch, null) : null;
        return due;
    }

    /**
     * Decides the save point that {@link #batchEnded} or {@link #epochEnded} just reported, from its
     * {@code logs} and the checkpoints applied so far. Changes nothing but the pending save point.
     *
     * @throws IllegalStateException if no save point is pending, or the monitored value is missing and the policy says FAIL
     * @throws IllegalArgumentException if the logs map a name to null
     * @throws dev.ckpt.core.template.TemplateFormatException if the path cannot be formatted
     */
    public Decision decide(Map<String, Double> logs) {
        SavePoint point = pending;
        if (point == null) {
            throw new IllegalStateException("decide: no save point is pending; call it right after batchEnded or"
                    + " epochEnded returned true, once per save point");
        }
        pending = null;
        return decide(point.epoch(), point.batch(), logs);
    }

    /**
     * Adopts a save the caller has durably written: the best value and the run's checkpoints become those of
     * its {@link SavePlan}. Counters are not touched (events after the decision have moved them on).
     *
     * @throws IllegalStateException if another save was applied since this one was decided (apply saves in the
     *                               order they were decided, each once)
     */
    public void apply(Decision.Save save) {
        SavePlan plan = Objects.requireNonNull(save, "save").plan();
        if (plan.before() != checkpoints) {
            throw new IllegalStateException("apply: the save of " + save.path() + " was decided against checkpoints"
                    + " that have changed since; apply each save once, in the order they were decided, before"
                    + " deciding the next");
        }
        checkpoints = plan.after();
        state = state.withBest(plan.state().best());
    }

    /**
     * Proposes the run's resume point at the position the engine has reached: after the last
     * {@link #batchEnded} (inside an epoch) or {@link #epochEnded} (at its end). Callers propose one where a
     * save point saved nothing (a save-best-only run that did not improve) and when training is asked to stop,
     * so that the run resumes from here instead of from its latest checkpoint. Changes nothing.
     *
     * <pre>{@code
     * ResumePoint point = engine.resumePoint(batchLogs);   // after batchEnded(17)
     * point.path();                                        // "resume-e0003-b0018-s000108"
     * }</pre>
     *
     * @param logs the logs of the position (kept as the resume point's metrics; never ranked)
     * @throws IllegalStateException before any batch or epoch ended, or while a save point awaits {@link #decide}
     * @throws IllegalArgumentException if the logs map a name to null
     */
    public ResumePoint resumePoint(Map<String, Double> logs) {
        Objects.requireNonNull(logs, "logs");
        if (pending != null) {
            throw new IllegalStateException("resumePoint: a save point is pending; call decide first, then propose"
                    + " the resume point if the decision saved nothing");
        }
        EngineState s = state;
        if (s.currentEpoch() < 0 || s.globalStep() == 0) {
            throw new IllegalStateException("resumePoint: nothing has trained yet (epoch " + s.currentEpoch()
                    + ", step " + s.globalStep() + "); a resume point holds at least one trained batch");
        }
        for (Map.Entry<String, Double> e : logs.entrySet()) {
            if (e.getValue() == null) {
                throw new IllegalArgumentException("logs: metric '" + e.getKey() + "' has the value null at the resume"
                        + " point; give a number (NaN if it diverged), or leave the name out");
            }
        }
        boolean atEpochEnd = s.completedEpochs() == s.currentEpoch() + 1;
        int epochNumber = s.currentEpoch() + 1;
        Integer batchNumber = atEpochEnd ? null : s.lastBatchSeen() + 1;
        String path = ResumePoint.pathOf(epochNumber, batchNumber, s.globalStep());
        CheckpointRecord record = new CheckpointRecord(path, epochNumber, batchNumber, s.globalStep(), logs,
                logs.get(policy.monitor().metric()), clock.instant());
        return new ResumePoint(path, record, new SavePlan(s, checkpoints, checkpoints, List.of()));
    }

    /**
     * Adopts a resume point the caller has durably written. The run's checkpoints and best value are untouched
     * (a resume point is neither); only the order of two-phase saves is checked.
     *
     * @throws IllegalStateException if a save was applied since this resume point was proposed
     */
    public void apply(ResumePoint point) {
        SavePlan plan = Objects.requireNonNull(point, "point").plan();
        if (plan.before() != checkpoints) {
            throw new IllegalStateException("apply: the resume point " + point.path() + " was proposed against"
                    + " checkpoints that have changed since; apply saves in the order they were proposed");
        }
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
                return propose(epochNumber, batchNumber, logs, null, false);
            }
            if (!monitor.improves(value, best)) {
                return new Decision.Skip(epochNumber, batchNumber, Decision.Reason.NOT_IMPROVED, monitor.metric(),
                        value, best, names(logs));
            }
            return propose(epochNumber, batchNumber, logs, value, true);
        }
        boolean newBest = value != null && monitor.improves(value, best);
        return propose(epochNumber, batchNumber, logs, value, newBest);
    }

    private Decision.Save propose(int epochNumber, Integer batchNumber, Map<String, Double> logs, Double value,
                                  boolean newBest) {
        Map<String, Object> values = new HashMap<>(logs);
        values.put(TemplateValues.EPOCH, (long) epochNumber);
        values.put(TemplateValues.STEP, state.globalStep());
        if (batchNumber != null && !logs.containsKey(TemplateValues.BATCH)) {
            values.put(TemplateValues.BATCH, (long) batchNumber);
        }
        String path = policy.filepath().format(values);
        CheckpointRecord record = new CheckpointRecord(policy.pathInRun(path), epochNumber, batchNumber,
                state.globalStep(), logs, value, clock.instant());
        return new Decision.Save(path, record, policy.monitor().metric(), newBest, state.best(),
                policy.saveBestOnly(), plan(record, newBest));
    }

    private SavePlan plan(CheckpointRecord record, boolean newBest) {
        RunCheckpoints before = checkpoints;
        List<CheckpointRecord> list = new ArrayList<>();
        for (CheckpointRecord c : before.kept()) {
            if (!c.path().equals(record.path())) {
                list.add(c);
            }
        }
        list.add(record);
        Double best = state.best();
        String bestPath = before.bestPath();
        if (newBest) {
            best = record.monitorValue();
            bestPath = record.path();
        } else if (record.path().equals(bestPath)) {
            bestPath = null; // the best checkpoint's files are being replaced by a model that is not the best
        }
        List<CheckpointRecord> released = new RunCheckpoints(list, bestPath, record.path())
                .releasedBy(policy.retention(), policy.monitor().direction());
        list.removeAll(released);
        return new SavePlan(state.withBest(best), before, new RunCheckpoints(list, bestPath, record.path()), released);
    }

    private List<String> checkNames(Collection<String> loggedNames) {
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
        if (loggedNames.contains(monitor)) {
            return List.of();
        }
        String logged = String.join(", ", new TreeSet<>(loggedNames));
        boolean monitorUsed = policy.saveBestOnly() || policy.retention().keepBest() != null;
        if (policy.monitorExplicit() || monitorUsed) {
            throw new CheckpointConfigException("monitor", "monitor: '" + monitor
                    + "' is not logged by the model; logged metrics: " + logged);
        }
        return List.of("monitor: the default monitor '" + monitor + "' is not logged by the model (logged metrics: "
                + logged + "), so no checkpoint is marked best; checkpoints are still saved as scheduled. Set monitor"
                + " to one of the logged metrics, or pass validation data to fit() to log " + monitor);
    }

    private static List<String> names(Map<String, Double> logs) {
        return List.copyOf(new TreeSet<>(logs.keySet()));
    }
}

package dev.ckpt.core.engine;

import java.util.Map;
import java.util.Objects;

/**
 * What the engine decided at one training event: {@link Save}, {@link Skip} (a save point where
 * nothing is saved, with the reason), or {@link #none()} (not a save point).
 *
 * <pre>{@code
 * Decision d = engine.onEpochEnd(2, logs);
 * if (d instanceof Decision.Save save) {
 *     write(save.path());
 *     engine.apply(save);
 * }
 * System.out.println(d.message());   // "Epoch 3: val_loss improved from 0.3120 to 0.2950, saving model to ck/e03"
 * }</pre>
 *
 * <p>A decision is only advice: it writes nothing, and a {@link Save} changes the engine's best and
 * retention only once the caller has written it and {@link CheckpointEngine#apply applies} it.
 */
public sealed interface Decision {

    /** A Keras-style, human-readable account of the decision; empty for {@link #none()}. */
    String message();

    /** The decision for an event that is not a save point. */
    static Decision none() {
        return None.INSTANCE;
    }

    /**
     * Save now: write the model to {@link #path()}, then {@link CheckpointEngine#apply} this decision. Until it
     * is applied the engine is unchanged, so a save whose write failed is simply not applied.
     *
     * <pre>{@code
     * if (d instanceof Decision.Save save && save.newBest()) log.info("new best: " + save.monitorValue());
     * }</pre>
     *
     * @param path         the formatted filepath, as the user's template spells it (run directory included)
     * @param checkpoint   the checkpoint's facts, its path relative to the run directory
     * @param monitor      the monitored metric's name
     * @param newBest      whether this checkpoint becomes the best once applied
     * @param previousBest the best value before this save, or null
     * @param bestOnly     whether the policy saves only improvements (shapes the message)
     * @param plan         what applying this save changes
     */
    record Save(String path, CheckpointRecord checkpoint, String monitor, boolean newBest, Double previousBest,
                boolean bestOnly, SavePlan plan) implements Decision {
        /** Validates the components. */
        public Save {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(checkpoint, "checkpoint");
            Objects.requireNonNull(plan, "plan");
        }

        /** 1-based epoch number. */
        public int epoch() {
            return checkpoint.epoch();
        }

        /** 1-based batch number of a batch-level save, or null at an epoch end. */
        public Integer batch() {
            return checkpoint.batch();
        }

        /** Global batch count. */
        public long step() {
            return checkpoint.step();
        }

        /** The logs of the event. */
        public Map<String, Double> metrics() {
            return checkpoint.metrics();
        }

        /** The monitored value in the logs, or null if absent. */
        public Double monitorValue() {
            return checkpoint.monitorValue();
        }

        @Override
        public String message() {
            String where = DecisionText.where(epoch(), batch());
            Double monitorValue = monitorValue();
            if (bestOnly && newBest) {
                return where + ": " + monitor + " improved from " + DecisionText.number(previousBest, true) + " to "
                        + DecisionText.number(monitorValue, false) + ", saving model to " + path;
            }
            if (bestOnly) {
                return where + ": " + monitor + " is missing from the logs; saving model to " + path
                        + " anyway (not marked best)";
            }
            if (monitorValue == null) {
                return where + ": saving model to " + path + " (" + monitor + " not logged)";
            }
            if (newBest) {
                return where + ": saving model to " + path + "; " + monitor + " improved from "
                        + DecisionText.number(previousBest, true) + " to " + DecisionText.number(monitorValue, false)
                        + ", new best";
            }
            return where + ": saving model to " + path + "; " + monitor + " " + DecisionText.number(monitorValue, false)
                    + ", best remains " + DecisionText.number(previousBest, true);
        }
    }

    /**
     * A save point where nothing is saved, with the reason; the engine's state is unchanged by it.
     *
     * <pre>{@code
     * if (d instanceof Decision.Skip skip && skip.reason() == Decision.Reason.MISSING_MONITOR) warn(skip.message());
     * }</pre>
     *
     * @param epoch        1-based epoch number
     * @param batch        1-based batch number, or null at an epoch end
     * @param reason       why
     * @param monitor      the monitored metric's name
     * @param monitorValue its value, or null if it was missing
     * @param best         the best value so far, or null
     * @param available    the names that were logged, for a missing-monitor warning
     */
    record Skip(int epoch, Integer batch, Reason reason, String monitor, Double monitorValue, Double best,
                java.util.List<String> available) implements Decision {
        /** Copies the names. */
        public Skip {
            Objects.requireNonNull(reason, "reason");
            available = java.util.List.copyOf(available);
        }

        @Override
        public String message() {
            String where = DecisionText.where(epoch, batch);
            if (reason == Reason.NOT_IMPROVED) {
                return where + ": " + monitor + " did not improve from " + DecisionText.number(best, true);
            }
            return where + ": cannot decide whether this is the best model: " + monitor
                    + " is missing from the logs (logged: " + String.join(", ", available) + "); skipping the save";
        }
    }

    /** Why a save point saved nothing, e.g. {@code skip.reason() == Reason.NOT_IMPROVED}. */
    enum Reason {
        /** The monitored value did not beat the best. */
        NOT_IMPROVED,
        /** The monitored value was not in the logs. */
        MISSING_MONITOR
    }

    /** Not a save point: {@code Decision.none()}; its message is empty. */
    enum None implements Decision {
        /** The only instance. */
        INSTANCE;

        @Override
        public String message() {
            return "";
        }
    }
}

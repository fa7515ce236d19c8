package dev.ckpt.core.policy;

import dev.ckpt.core.CheckpointConfigException;
import java.time.Duration;
import java.util.Objects;

/**
 * When a checkpoint is considered: at every epoch end (Keras's {@code save_freq="epoch"}), at every N-th
 * epoch end (TF 2.4's {@code period}), every N training batches (Keras's integer {@code save_freq}), or
 * at the first batch end after a span of wall time.
 *
 * <pre>{@code
 * SaveFrequency.everyEpoch();
 * SaveFrequency.everyEpochs(5);                  // epochs 5, 10, 15 ... by epoch number, across a resume
 * SaveFrequency.everyBatches(500);               // counted across epoch boundaries, as Keras does
 * SaveFrequency.every(Duration.ofMinutes(30));   // checked at batch ends, with the engine's clock
 * }</pre>
 *
 * <p>Batch-level frequencies see only training metrics: validation metrics exist only at epoch end.
 * A frequency holds no clock or counter: the engine counts batches and reads its injected clock.
 */
public sealed interface SaveFrequency {

    /** Whether this frequency saves at batch ends (true) or at epoch ends (false). */
    boolean batchLevel();

    /** Text that identifies this frequency in a policy fingerprint. */
    String describe();

    /**
     * Reads Keras's {@code save_freq} spelling: {@code "epoch"} or a whole number of batches.
     *
     * @throws CheckpointConfigException for anything else
     */
    static SaveFrequency parse(String kerasSaveFreq) {
        Objects.requireNonNull(kerasSaveFreq, "saveFrequency");
        if (kerasSaveFreq.equals("epoch")) {
            return everyEpoch();
        }
        try {
            return everyBatches(Integer.parseInt(kerasSaveFreq.trim()));
        } catch (NumberFormatException e) {
            throw new CheckpointConfigException("saveFrequency", "saveFrequency: expected \"epoch\" or a whole number"
                    + " of batches >= 1, got \"" + kerasSaveFreq + "\"");
        }
    }

    /** Saves at the end of every epoch. */
    static SaveFrequency everyEpoch() {
        return EveryEpoch.INSTANCE;
    }

    /**
     * Saves at the end of epochs {@code n}, {@code 2n}, {@code 3n} ... (1-based epoch numbers), as TF 2.4's
     * {@code ModelCheckpoint(period=n)} does. With save-best-only, the best is judged only at those epochs.
     * The epoch number decides, not a count since training began, so a resumed run saves at the same epochs
     * as one that was never interrupted. {@code everyEpochs(1)} is {@link #everyEpoch()}.
     *
     * <pre>{@code
     * SaveFrequency.everyEpochs(2);   // over 5 epochs: after epochs 2 and 4
     * }</pre>
     *
     * @throws CheckpointConfigException if {@code epochs < 1}
     */
    static SaveFrequency everyEpochs(int epochs) {
        return epochs == 1 ? everyEpoch() : new EveryEpochs(epochs);
    }

    /**
     * Saves after every {@code batches} training batches, counted across epoch boundaries.
     *
     * @throws CheckpointConfigException if {@code batches < 1}
     */
    static SaveFrequency everyBatches(int batches) {
        return new EveryBatches(batches);
    }

    /**
     * Saves at the first batch end after {@code interval} of wall time since the last save (or since
     * training began).
     *
     * @throws CheckpointConfigException if the interval is not positive
     */
    static SaveFrequency every(Duration interval) {
        return new EveryInterval(interval);
    }

    /** Every epoch end: {@code SaveFrequency.everyEpoch()}; never at a batch end. */
    enum EveryEpoch implements SaveFrequency {
        /** The only instance. */
        INSTANCE;

        @Override
        public boolean batchLevel() {
            return false;
        }

        @Override
        public String describe() {
            return "epoch";
        }

        @Override
        public String toString() {
            return "everyEpoch()";
        }
    }

    /**
     * Every N-th epoch end: {@code SaveFrequency.everyEpochs(5)}; never at a batch end.
     *
     * @param epochs how many epochs between saves, {@code >= 1}; saves follow epochs whose number is a multiple
     */
    record EveryEpochs(int epochs) implements SaveFrequency {
        /** Validates {@code epochs}. */
        public EveryEpochs {
            if (epochs < 1) {
                throw new CheckpointConfigException("saveFrequency",
                        "saveFrequency: every N epochs needs N >= 1, got " + epochs);
            }
        }

        /** Whether the epoch with this 1-based number ends at a save point. */
        public boolean savesAfter(int epochNumber) {
            return epochNumber % epochs == 0;
        }

        @Override
        public boolean batchLevel() {
            return false;
        }

        @Override
        public String describe() {
            return "epochs:" + epochs;
        }

        @Override
        public String toString() {
            return "everyEpochs(" + epochs + ")";
        }
    }

    /**
     * Every N training batches: {@code SaveFrequency.everyBatches(500)}; never at an epoch end, and
     * the count does not restart with an epoch.
     *
     * @param batches how many batches between saves, {@code >= 1}
     */
    record EveryBatches(int batches) implements SaveFrequency {
        /** Validates {@code batches}. */
        public EveryBatches {
            if (batches < 1) {
                throw new CheckpointConfigException("saveFrequency",
                        "saveFrequency: every N batches needs N >= 1, got " + batches);
            }
        }

        @Override
        public boolean batchLevel() {
            return true;
        }

        @Override
        public String describe() {
            return "batches:" + batches;
        }

        @Override
        public String toString() {
            return "everyBatches(" + batches + ")";
        }
    }

    /**
     * Every span of wall time: {@code SaveFrequency.every(Duration.ofMinutes(30))}; checked only at
     * batch ends, so a save can come later than the span, never earlier.
     *
     * @param interval the span, positive
     */
    record EveryInterval(Duration interval) implements SaveFrequency {
        /** Validates {@code interval}. */
        public EveryInterval {
            Objects.requireNonNull(interval, "interval");
            if (interval.isZero() || interval.isNegative()) {
                throw new CheckpointConfigException("saveFrequency",
                        "saveFrequency: every(interval) needs a positive duration, got " + interval);
            }
        }

        @Override
        public boolean batchLevel() {
            return true;
        }

        @Override
        public String describe() {
            return "interval:" + interval;
        }

        @Override
        public String toString() {
            return "every(" + interval + ")";
        }
    }
}

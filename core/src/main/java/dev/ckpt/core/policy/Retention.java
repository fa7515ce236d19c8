package dev.ckpt.core.policy;

import dev.ckpt.core.CheckpointConfigException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Which committed checkpoints to keep. The rules combine: a checkpoint survives if any rule keeps it,
 * and the best and the latest checkpoint always survive.
 *
 * <pre>{@code
 * Retention.keepAll();                                         // Keras: never delete (the default)
 * Retention.keepAll().withKeepBest(3).withKeepLast(2);         // 3 best by the monitor + last 2
 * Retention.keepAll().withKeepEveryNthEpoch(10);               // plus epochs 10, 20, 30 ...
 * Retention.keepAll().withKeepLast(3).withKeepOnePer(Duration.ofHours(6));  // plus one per 6 hours, for good
 * }</pre>
 *
 * <p>Keep-one-per is TF {@code CheckpointManager}'s {@code keep_checkpoint_every_n_hours}: walking the kept
 * checkpoints oldest first, one is kept for good when at least the span has passed between its
 * {@code createdAt} and that of the previous one kept this way. The run's first checkpoint starts the
 * chain (TF starts it at the time the manager was created, which a run does not record; a resumed run
 * and {@code ckpt prune} must reach the same answer from the checkpoints alone). The times are the
 * engine's injected clock at each save.
 *
 * <p>Retention only ever releases checkpoints that ckpt itself committed in this run; what happens
 * to released files is the storage layer's job.
 *
 * @param keepBest          the K best checkpoints by the monitored value, or null
 * @param keepLast          the N most recently committed checkpoints, or null
 * @param keepEveryNthEpoch checkpoints whose epoch number is a multiple of M, or null
 * @param keepOnePer        one checkpoint per span of time, kept for good, or null
 */
public record Retention(Integer keepBest, Integer keepLast, Integer keepEveryNthEpoch, Duration keepOnePer) {
    private static final Retention KEEP_ALL = new Retention(null, null, null, null);

    /** Validates that every given count is at least 1 and the span is positive. */
    public Retention {
        check("keepBest", keepBest);
        check("keepLast", keepLast);
        check("keepEveryNthEpoch", keepEveryNthEpoch);
        if (keepOnePer != null && (keepOnePer.isZero() || keepOnePer.isNegative())) {
            throw new CheckpointConfigException("keepOnePer",
                    "keepOnePer: needs a positive duration (or null for no rule), got " + keepOnePer);
        }
    }

    /** The count rules alone, with no keep-one-per rule. */
    public Retention(Integer keepBest, Integer keepLast, Integer keepEveryNthEpoch) {
        this(keepBest, keepLast, keepEveryNthEpoch, null);
    }

    /** No rule: every checkpoint is kept. */
    public static Retention keepAll() {
        return KEEP_ALL;
    }

    /** Whether no rule is set, so nothing is ever released. */
    public boolean keepsAll() {
        return keepBest == null && keepLast == null && keepEveryNthEpoch == null && keepOnePer == null;
    }

    /** A copy that also keeps the {@code k} best checkpoints by the monitored value. */
    public Retention withKeepBest(Integer k) {
        return new Retention(k, keepLast, keepEveryNthEpoch, keepOnePer);
    }

    /** A copy that also keeps the {@code n} most recent checkpoints. */
    public Retention withKeepLast(Integer n) {
        return new Retention(keepBest, n, keepEveryNthEpoch, keepOnePer);
    }

    /** A copy that also keeps checkpoints of every {@code m}-th epoch. */
    public Retention withKeepEveryNthEpoch(Integer m) {
        return new Retention(keepBest, keepLast, m, keepOnePer);
    }

    /** A copy that also keeps one checkpoint per {@code span} for good (null: no such rule). */
    public Retention withKeepOnePer(Duration span) {
        return new Retention(keepBest, keepLast, keepEveryNthEpoch, span);
    }

    /** The rules for people: {@code "keep best 1, last 3"}, or {@code "keep all"}. */
    public String summary() {
        if (keepsAll()) {
            return "keep all";
        }
        List<String> rules = new ArrayList<>();
        if (keepBest != null) {
            rules.add("best " + keepBest);
        }
        if (keepLast != null) {
            rules.add("last " + keepLast);
        }
        if (keepEveryNthEpoch != null) {
            rules.add("every " + keepEveryNthEpoch + "th epoch");
        }
        if (keepOnePer != null) {
            rules.add("one per " + keepOnePer);
        }
        return "keep " + String.join(", ", rules);
    }

    /** Text that identifies these rules in a policy fingerprint. */
    public String describe() {
        if (keepsAll()) {
            return "all";
        }
        // Runs written before keep-one-per existed have fingerprints without it: the text is unchanged for them.
        return "best:" + keepBest + ",last:" + keepLast + ",everyNthEpoch:" + keepEveryNthEpoch
                + (keepOnePer == null ? "" : ",onePer:" + keepOnePer);
    }

    private static void check(String option, Integer value) {
        if (value != null && value < 1) {
            throw new CheckpointConfigException(option, option + ": needs a count >= 1 (or null for no rule), got " + value);
        }
    }
}

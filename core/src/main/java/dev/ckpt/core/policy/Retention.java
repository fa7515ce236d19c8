package dev.ckpt.core.policy;

import dev.ckpt.core.CheckpointConfigException;

/**
 * Which committed checkpoints to keep. The rules combine: a checkpoint survives if any rule keeps it,
 * and the best and the latest checkpoint always survive.
 *
 * <pre>{@code
 * Retention.keepAll();                                         // Keras: never delete (the default)
 * Retention.keepAll().withKeepBest(3).withKeepLast(2);         // 3 best by the monitor + last 2
 * Retention.keepAll().withKeepEveryNthEpoch(10);               // plus epochs 10, 20, 30 ...
 * }</pre>
 *
 * <p>Retention only ever releases checkpoints that ckpt itself committed in this run; what happens
 * to released files is the storage layer's job.
 *
 * @param keepBest          the K best checkpoints by the monitored value, or null
 * @param keepLast          the N most recently committed checkpoints, or null
 * @param keepEveryNthEpoch checkpoints whose epoch number is a multiple of M, or null
 */
public record Retention(Integer keepBest, Integer keepLast, Integer keepEveryNthEpoch) {
    private static final Retention KEEP_ALL = new Retention(null, null, null);

    /** Validates that every given count is at least 1. */
    public Retention {
        check("keepBest", keepBest);
        check("keepLast", keepLast);
        check("keepEveryNthEpoch", keepEveryNthEpoch);
    }

    /** No rule: every checkpoint is kept. */
    public static Retention keepAll() {
        return KEEP_ALL;
    }

    /** Whether no rule is set, so nothing is ever released. */
    public boolean keepsAll() {
        return keepBest == null && keepLast == null && keepEveryNthEpoch == null;
    }

    /** A copy that also keeps the {@code k} best checkpoints by the monitored value. */
    public Retention withKeepBest(Integer k) {
        return new Retention(k, keepLast, keepEveryNthEpoch);
    }

    /** A copy that also keeps the {@code n} most recent checkpoints. */
    public Retention withKeepLast(Integer n) {
        return new Retention(keepBest, n, keepEveryNthEpoch);
    }

    /** A copy that also keeps checkpoints of every {@code m}-th epoch. */
    public Retention withKeepEveryNthEpoch(Integer m) {
        return new Retention(keepBest, keepLast, m);
    }

    /** The rules for people: {@code "keep best 1, last 3"}, or {@code "keep all"}. */
    public String summary() {
        if (keepsAll()) {
            return "keep all";
        }
        java.util.List<String> rules = new java.util.ArrayList<>();
        if (keepBest != null) {
            rules.add("best " + keepBest);
        }
        if (keepLast != null) {
            rules.add("last " + keepLast);
        }
        if (keepEveryNthEpoch != null) {
            rules.add("every " + keepEveryNthEpoch + "th epoch");
        }
        return "keep " + String.join(", ", rules);
    }

    /** Text that identifies these rules in a policy fingerprint. */
    public String describe() {
        return keepsAll() ? "all" : "best:" + keepBest + ",last:" + keepLast + ",everyNthEpoch:" + keepEveryNthEpoch;
    }

    private static void check(String option, Integer value) {
        if (value != null && value < 1) {
            throw new CheckpointConfigException(option, option + ": needs a count >= 1 (or null for no rule), got " + value);
        }
    }
}

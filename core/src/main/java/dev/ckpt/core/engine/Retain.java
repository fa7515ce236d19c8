package dev.ckpt.core.engine;

import dev.ckpt.core.monitor.Direction;
import dev.ckpt.core.policy.Retention;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Pure retention: which committed checkpoints the rules no longer keep (never the best nor the latest). */
final class Retain {
    private Retain() {
    }

    static List<CheckpointRecord> released(Retention rules, Direction direction, List<CheckpointRecord> committed,
                                 String bestPath, String latestPath) {
        if (rules.keepsAll()) {
            return List.of();
        }
        Set<String> keep = new HashSet<>();
        keep.add(latestPath);
        if (bestPath != null) {
            keep.add(bestPath);
        }
        if (rules.keepLast() != null) {
            for (int i = Math.max(0, committed.size() - rules.keepLast()); i < committed.size(); i++) {
                keep.add(committed.get(i).path());
            }
        }
        if (rules.keepBest() != null) {
            List<CheckpointRecord> ranked = new ArrayList<>();
            for (CheckpointRecord c : committed) {
                if (c.monitorValue() != null && !c.monitorValue().isNaN()) {
                    ranked.add(c);
                }
            }
            // Better first; among equals the more recent first, as a later equal value was saved later.
            ranked.sort((a, b) -> direction.isBetter(a.monitorValue(), b.monitorValue()) ? -1
                    : direction.isBetter(b.monitorValue(), a.monitorValue()) ? 1
                    : Long.compare(committed.indexOf(b), committed.indexOf(a)));
            for (int i = 0; i < Math.min(rules.keepBest(), ranked.size()); i++) {
                keep.add(ranked.get(i).path());
            }
        }
        if (rules.keepEveryNthEpoch() != null) {
            for (CheckpointRecord c : committed) {
                if (c.epoch() % rules.keepEveryNthEpoch() == 0) {
                    keep.add(c.path());
                }
            }
        }
        if (rules.keepOnePer() != null) {
            keep.addAll(onePer(rules.keepOnePer(), committed));
        }
        List<CheckpointRecord> out = new ArrayList<>();
        for (CheckpointRecord c : committed) {
            if (!keep.contains(c.path())) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * The chain kept for good: the first checkpoint, then each one at least {@code span} after the previous link.
     * Releasing a checkpoint outside the chain never changes the chain, so the answer is the same after every save,
     * after a resume and in a prune.
     */
    private static Set<String> onePer(Duration span, List<CheckpointRecord> committed) {
        Set<String> chain = new HashSet<>();
        Instant anchor = null;
        for (CheckpointRecord c : committed) {
            if (anchor == null || Duration.between(anchor, c.createdAt()).compareTo(span) >= 0) {
                chain.add(c.path());
                anchor = c.createdAt();
            }
        }
        return chain;
    }
}

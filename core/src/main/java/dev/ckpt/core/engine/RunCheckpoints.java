package dev.ckpt.core.engine;

import dev.ckpt.core.monitor.Direction;
import dev.ckpt.core.policy.Retention;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The checkpoints a run keeps, oldest commit first, with the paths of the best and the latest: what the
 * run's manifest lists, as the engine needs it for retention. A resumed engine is given this value as
 * read back from the manifest; the engine never keeps a second list of its own.
 *
 * <pre>{@code
 * RunCheckpoints now = engine.checkpoints();
 * System.out.println(now.kept().size() + " kept, best " + now.bestPath() + ", latest " + now.latestPath());
 * }</pre>
 *
 * @param kept       the kept checkpoints, oldest commit first, each path once
 * @param bestPath   path of the checkpoint holding the best value, or null
 * @param latestPath path of the last committed checkpoint, or null
 */
public record RunCheckpoints(List<CheckpointRecord> kept, String bestPath, String latestPath) {
    private static final RunCheckpoints NONE = new RunCheckpoints(List.of(), null, null);

    /** Copies the list and checks that best and latest are among the kept paths. */
    public RunCheckpoints {
        kept = List.copyOf(Objects.requireNonNull(kept, "kept"));
        Set<String> paths = new HashSet<>();
        for (CheckpointRecord c : kept) {
            if (!paths.add(c.path())) {
                throw new IllegalArgumentException("checkpoints: \"" + c.path() + "\" is listed twice");
            }
        }
        if (bestPath != null && !paths.contains(bestPath)) {
            throw new IllegalArgumentException("checkpoints: best \"" + bestPath + "\" is not among the kept " + paths);
        }
        if (latestPath != null && !paths.contains(latestPath)) {
            throw new IllegalArgumentException("checkpoints: latest \"" + latestPath + "\" is not among the kept " + paths);
        }
    }

    /** A run with no checkpoints. */
    public static RunCheckpoints none() {
        return NONE;
    }

    /**
     * The checkpoints {@code rules} no longer keep, oldest first: the same pure function the engine applies after
     * every save, for callers that apply retention to a run outside training (pruning a finished run).
     *
     * <pre>{@code
     * RunCheckpoints run = new RunCheckpoints(records, "e07", "e09");
     * List<CheckpointRecord> gone = run.releasedBy(Retention.keepAll().withKeepBest(2).withKeepLast(1), Direction.MAX);
     * }</pre>
     *
     * <p>A checkpoint survives when any rule keeps it; {@link #bestPath()} and {@link #latestPath()} always
     * survive. Keep-best ranks by {@link CheckpointRecord#monitorValue()} in {@code direction} (a later equal value
     * ranks first; a missing or NaN value never ranks). It deliberately changes nothing: the result is a proposal.
     *
     * @param rules     the retention rules; {@link Retention#keepAll()} releases nothing
     * @param direction which way the monitored value improves, used by keep-best
     */
    public List<CheckpointRecord> releasedBy(Retention rules, Direction direction) {
        Objects.requireNonNull(rules, "rules");
        Objects.requireNonNull(direction, "direction");
        return List.copyOf(Retain.released(rules, direction, kept, bestPath, latestPath));
    }

    /** The kept checkpoint at {@code path}, or null. */
    public CheckpointRecord get(String path) {
        for (CheckpointRecord c : kept) {
            if (c.path().equals(path)) {
                return c;
            }
        }
        return null;
    }
}

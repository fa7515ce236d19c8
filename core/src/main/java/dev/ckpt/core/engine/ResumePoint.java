package dev.ckpt.core.engine;

import java.util.Objects;

/**
 * A proposal to save the run's resume point: a full checkpoint of the state the engine has reached, kept apart
 * from the monitored checkpoints so that a stopped run continues where it stopped, not at its latest save.
 * It goes through the same two phases as a {@link Decision.Save}: {@link CheckpointEngine#resumePoint} proposes,
 * the caller writes, then {@link CheckpointEngine#apply(ResumePoint)} adopts it.
 *
 * <pre>{@code
 * if (engine.onEpochEnd(4, logs) instanceof Decision.Skip) {       // save-best-only: not improved
 *     ResumePoint point = engine.resumePoint(logs);
 *     storage.commitResumePoint(point.path(), point.plan().state());  // your I/O
 *     engine.apply(point);
 * }
 * }</pre>
 *
 * <p>It is never the best, never counted by retention, and never one of {@link RunCheckpoints#kept()}: its plan
 * leaves the run's checkpoints as they are. Its path is unique per position in the run ({@code
 * resume-e0005-b0012-s000192} inside an epoch, {@code resume-e0005-end-s000225} at an epoch end), so a new one
 * never overwrites the previous one, which the caller releases only once the new one is committed.
 *
 * @param path       the resume point's path relative to the run directory (its directory name at the run root)
 * @param checkpoint its facts: epoch (1-based), batch (1-based, or null at an epoch end), step, logs
 * @param plan       the engine state to store with it; {@code before} and {@code after} are the run's checkpoints,
 *                   unchanged, and nothing is released
 */
public record ResumePoint(String path, CheckpointRecord checkpoint, SavePlan plan) {
    /** Checks that the plan keeps the run's checkpoints as they are. */
    public ResumePoint {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(checkpoint, "checkpoint");
        Objects.requireNonNull(plan, "plan");
        if (plan.before() != plan.after() || !plan.released().isEmpty()) {
            throw new IllegalArgumentException("resume point " + path + ": its plan must leave the run's checkpoints"
                    + " unchanged and release none, got " + plan.released().size() + " released");
        }
    }

    /** The prefix of every resume point's name; template paths that start with it could collide with one. */
    public static final String PREFIX = "resume-";

    static String pathOf(int epochNumber, Integer batchNumber, long step) {
        return String.format(java.util.Locale.ROOT, "%se%04d-%s-s%06d", PREFIX, epochNumber,
                batchNumber == null ? "end" : String.format(java.util.Locale.ROOT, "b%04d", batchNumber), step);
    }
}

package dev.ckpt.core.engine;

import java.util.List;
import java.util.Objects;

/**
 * Everything a {@link CheckpointEngine} remembers, as a plain immutable value: export it with
 * {@link CheckpointEngine#state()}, store it, and {@link CheckpointEngine#resume} continues exactly
 * where it was.
 *
 * <pre>{@code
 * EngineState saved = engine.state();
 * // ... process restarts ...
 * CheckpointEngine again = CheckpointEngine.resume(policy, saved, Clock.systemUTC());
 * }</pre>
 *
 * <p>It does not include the policy: resume with the same policy (compare
 * {@code CheckpointPolicy.fingerprint()}), or decisions will differ from an uninterrupted run.
 *
 * @param currentEpoch         0-based index of the epoch in progress (as fed to the engine), or -1
 * @param completedEpochs      number of epoch ends seen; a resumed run numbers its epochs after these
 * @param lastBatchSeen        0-based index of the last batch seen (Keras's counter for new epochs)
 * @param batchesSinceSave     batches counted towards the next batch-level save
 * @param globalStep           training batches seen since the run began
 * @param best                 the best monitored value committed so far, or the initial threshold, or null
 * @param intervalAnchorMillis clock time the next wall-time save is measured from, or null before training
 * @param checkpoints          committed checkpoints that retention has not released, oldest first
 * @param bestPath             path of the checkpoint holding {@code best}, or null
 * @param latestPath           path of the last committed checkpoint, or null
 */
public record EngineState(
        int currentEpoch,
        int completedEpochs,
        int lastBatchSeen,
        long batchesSinceSave,
        long globalStep,
        Double best,
        Long intervalAnchorMillis,
        List<CommittedCheckpoint> checkpoints,
        String bestPath,
        String latestPath) {

    /** Validates counters and copies the list. */
    public EngineState {
        if (completedEpochs < 0 || batchesSinceSave < 0 || globalStep < 0 || lastBatchSeen < 0 || currentEpoch < -1) {
            throw new IllegalArgumentException("engine state: counters must be >= 0 (currentEpoch >= -1), got currentEpoch="
                    + currentEpoch + ", completedEpochs=" + completedEpochs + ", lastBatchSeen=" + lastBatchSeen
                    + ", batchesSinceSave=" + batchesSinceSave + ", globalStep=" + globalStep);
        }
        checkpoints = List.copyOf(Objects.requireNonNull(checkpoints, "checkpoints"));
    }

    /** The state of a run that has not started, with {@code best} set to the policy's threshold. */
    public static EngineState initial(Double initialValueThreshold) {
        return new EngineState(-1, 0, 0, 0, 0, initialValueThreshold, null, List.of(), null, null);
    }
}

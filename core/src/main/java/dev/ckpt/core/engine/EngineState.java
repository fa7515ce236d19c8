package dev.ckpt.core.engine;

/**
 * The counters and the best value a {@link CheckpointEngine} carries from event to event, as a plain
 * immutable value. A run stores it with every commit (the state of the save point that commit holds), and
 * {@link CheckpointEngine#resume} continues from it together with the run's list of checkpoints.
 *
 * <pre>{@code
 * EngineState saved = save.plan().state();          // stored with the checkpoint
 * // ... process restarts ...
 * CheckpointEngine again = CheckpointEngine.resume(policy, saved, checkpointsFromManifest, Clock.systemUTC());
 * }</pre>
 *
 * <p>It deliberately holds no list of checkpoints, nor best or latest paths: the run's manifest owns
 * those ({@link RunCheckpoints}). It does not include the policy either: resume with the same policy
 * (compare {@code CheckpointPolicy.fingerprint()}), or decisions will differ from an uninterrupted run.
 *
 * @param currentEpoch         0-based index of the epoch in progress (as fed to the engine), or -1
 * @param completedEpochs      number of epoch ends seen; a resumed run numbers its epochs after these
 * @param lastBatchSeen        0-based index of the last batch seen (Keras's counter for new epochs)
 * @param batchesSinceSave     batches counted towards the next batch-level save
 * @param globalStep           training batches seen since the run began
 * @param best                 the best monitored value committed so far, or the initial threshold, or null
 * @param intervalAnchorMillis clock time the next wall-time save is measured from, or null before training
 */
public record EngineState(
        int currentEpoch,
        int completedEpochs,
        int lastBatchSeen,
        long batchesSinceSave,
        long globalStep,
        Double best,
        Long intervalAnchorMillis) {

    /** Validates the counters. */
    public EngineState {
        if (completedEpochs < 0 || batchesSinceSave < 0 || globalStep < 0 || lastBatchSeen < 0 || currentEpoch < -1) {
            throw new IllegalArgumentException("engine state: counters must be >= 0 (currentEpoch >= -1), got currentEpoch="
                    + currentEpoch + ", completedEpochs=" + completedEpochs + ", lastBatchSeen=" + lastBatchSeen
                    + ", batchesSinceSave=" + batchesSinceSave + ", globalStep=" + globalStep);
        }
    }

    /** The state of a run that has not started, with {@code best} set to the policy's threshold. */
    public static EngineState initial(Double initialValueThreshold) {
        return new EngineState(-1, 0, 0, 0, 0, initialValueThreshold, null);
    }

    EngineState withBest(Double newBest) {
        return new EngineState(currentEpoch, completedEpochs, lastBatchSeen, batchesSinceSave, globalStep, newBest,
                intervalAnchorMillis);
    }
}

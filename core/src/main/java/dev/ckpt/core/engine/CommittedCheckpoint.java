package dev.ckpt.core.engine;

import java.util.Objects;

/**
 * A checkpoint the caller has written and reported with {@link CheckpointEngine#onCommitted}.
 *
 * <pre>{@code
 * for (CommittedCheckpoint c : engine.state().checkpoints()) System.out.println(c.path() + " " + c.monitorValue());
 * }</pre>
 *
 * <p>It records what the engine was told, not what is on disk: whether the files still exist is the
 * storage layer's business.
 *
 * @param path         the formatted filepath
 * @param epoch        1-based epoch number
 * @param batch        1-based batch number for a batch-level save, or null for an epoch-end save
 * @param step         global batch count when it was saved
 * @param monitorValue the monitored value at the save, or null if it was not logged
 */
public record CommittedCheckpoint(String path, int epoch, Integer batch, long step, Double monitorValue) {
    /** Validates the components. */
    public CommittedCheckpoint {
        Objects.requireNonNull(path, "path");
    }
}

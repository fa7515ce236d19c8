package dev.ckpt.core.engine;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * The facts the engine keeps about one checkpoint: where it is inside the run, when it was taken and
 * with which logs. Retention ranks and orders checkpoints by these facts alone.
 *
 * <pre>{@code
 * for (CheckpointRecord c : engine.checkpoints().kept()) System.out.println(c.path() + " " + c.monitorValue());
 * }</pre>
 *
 * <p>It records what was decided and committed, not what is on disk: whether the files still exist is
 * the storage layer's business, and the run's manifest is where a resumed engine reads these back from.
 *
 * @param path         the checkpoint's path relative to the run directory, {@code /}-separated (e.g. {@code e07})
 * @param epoch        1-based epoch number
 * @param batch        1-based batch number for a batch-level save, or null for an epoch-end save
 * @param step         global batch count when it was saved
 * @param metrics      the logs of the save point
 * @param monitorValue the monitored value at the save, or null if it was not logged
 * @param createdAt    when the save was decided, by the engine's clock (what keep-one-per measures)
 */
public record CheckpointRecord(String path, int epoch, Integer batch, long step, Map<String, Double> metrics,
                               Double monitorValue, Instant createdAt) {
    /** Validates the components and copies the metrics. */
    public CheckpointRecord {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(createdAt, "createdAt");
        if (path.isEmpty()) {
            throw new IllegalArgumentException("checkpoint path must not be empty");
        }
        if (epoch < 0 || step < 0 || (batch != null && batch < 0)) {
            throw new IllegalArgumentException("checkpoint " + path + ": epoch, batch and step must be >= 0, got epoch "
                    + epoch + ", batch " + batch + ", step " + step);
        }
        metrics = Map.copyOf(metrics);
    }
}

package dev.ckpt.core.policy;

/**
 * What a save-best-only decision does when the monitored metric is absent from the event's logs (for
 * example an epoch trained without validation data).
 *
 * <pre>{@code
 * CheckpointPolicy.builder("best").saveBestOnly(true).onMissingMonitor(MissingMonitor.FAIL).build();
 * }</pre>
 *
 * <p>It does not apply when every checkpoint is saved ({@code saveBestOnly} false): those saves happen
 * regardless and are simply not marked best.
 */
public enum MissingMonitor {
    /** Skip this save and report a warning (ckpt's default): an unmeasured model never replaces the best. */
    SKIP_AND_WARN,
    /** Save anyway without marking it best, as Keras 3 does. */
    SAVE_ANYWAY,
    /** Stop training with an error naming the metric and the logged names. */
    FAIL
}

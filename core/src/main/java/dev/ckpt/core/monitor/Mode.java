package dev.ckpt.core.monitor;

/**
 * Whether a lower or a higher monitored value is better, as Keras's {@code mode} argument.
 *
 * <pre>{@code
 * CheckpointPolicy.builder("best").monitor("val_accuracy").mode(Mode.MAX).saveBestOnly(true).build();
 * }</pre>
 *
 * <p>{@link #AUTO} infers the direction from the metric name when the policy is built; see
 * {@link MetricDirections}. It never guesses: a name it cannot place is a configuration error.
 */
public enum Mode {
    /** Lower is better (losses, errors). */
    MIN,
    /** Higher is better (accuracy, AUC). */
    MAX,
    /** Infer from the monitored metric's name. */
    AUTO
}

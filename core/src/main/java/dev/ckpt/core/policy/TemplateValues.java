package dev.ckpt.core.policy;

/**
 * The names ckpt itself supplies to a filepath template besides the logged metrics.
 *
 * <pre>{@code
 * TemplateValues.isCounter("step");   // true: "ck/s{step}" needs no logged metric
 * TemplateValues.isCounter("loss");   // false: must come from the logs
 * }</pre>
 *
 * <p>A logged metric named {@code epoch} or {@code step} does not replace the counter; one named
 * {@code batch} does, as in Keras.
 */
public final class TemplateValues {
    /** 1-based epoch number, as Keras's {@code {epoch}}. */
    public static final String EPOCH = "epoch";
    /** 1-based batch number within the epoch, as Keras's {@code {batch}}; batch-level saves only. */
    public static final String BATCH = "batch";
    /** Global count of training batches since the run began (ckpt's addition). */
    public static final String STEP = "step";

    private TemplateValues() {
    }

    /** Whether {@code name} is one of the counters ckpt supplies (formatted as an int). */
    public static boolean isCounter(String name) {
        return EPOCH.equals(name) || BATCH.equals(name) || STEP.equals(name);
    }
}

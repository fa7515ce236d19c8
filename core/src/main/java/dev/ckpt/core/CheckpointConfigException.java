package dev.ckpt.core;

/**
 * A checkpoint setting that cannot work, reported before any training happens.
 *
 * <pre>{@code
 * try {
 *     CheckpointPolicy.builder("e{epoch}").saveFrequency(SaveFrequency.everyBatches(0)).build();
 * } catch (CheckpointConfigException e) {
 *     e.option();   // "saveFrequency"
 *     e.getMessage(); // "saveFrequency: every N batches needs N >= 1, got 0"
 * }
 * }</pre>
 *
 * <p>The message always names the option, the rejected value and what would be valid. It is an
 * {@link IllegalArgumentException}: the caller passed something that cannot work. It is not used for
 * what goes wrong during training: a path that cannot be formatted is a
 * {@code TemplateFormatException}, a missing monitored value under {@code FAIL} an
 * {@link IllegalStateException}.
 */
public class CheckpointConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String option;

    /** Creates an exception for {@code option}; {@code message} should start with the option's name. */
    public CheckpointConfigException(String option, String message) {
        super(message);
        this.option = option;
    }

    /** Creates an exception for {@code option} caused by {@code cause}. */
    public CheckpointConfigException(String option, String message, Throwable cause) {
        super(message, cause);
        this.option = option;
    }

    /** The name of the option that was refused, as the builder spells it (e.g. {@code "monitor"}). */
    public String option() {
        return option;
    }
}

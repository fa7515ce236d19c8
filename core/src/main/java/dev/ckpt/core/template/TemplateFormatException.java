package dev.ckpt.core.template;

/**
 * A well-formed template that cannot format the values it was given: a field has no value, or a
 * field's format spec does not fit the value's type (for example {@code {val_loss:d}} with a
 * double). Thrown by {@link PathTemplate#format} and {@link PathTemplate#checkTypes}.
 *
 * <pre>{@code
 * try {
 *     PathTemplate.compile("e{epoch}-{val_los:.2f}").format(Map.of("epoch", 3));
 * } catch (TemplateFormatException e) {
 *     e.missingField(); // "val_los"
 * }
 * }</pre>
 *
 * <p>It never signals a malformed template; that is a {@link TemplateSyntaxException} at compile time.
 */
public final class TemplateFormatException extends TemplateException {
    private static final long serialVersionUID = 1L;

    private final String missingField;

    TemplateFormatException(String template, String message, String missingField) {
        super(template, message);
        this.missingField = missingField;
    }

    /** The name of the field that had no value, or {@code null} when the error is about a spec. */
    public String missingField() {
        return missingField;
    }
}

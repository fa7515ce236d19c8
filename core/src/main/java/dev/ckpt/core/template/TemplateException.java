package dev.ckpt.core.template;

/**
 * Base class of every error a {@link PathTemplate} raises: a caller mistake in a template or in the
 * values given to it.
 *
 * <pre>{@code
 * try {
 *     PathTemplate.compile("e{epoch:02q}");
 * } catch (TemplateException e) {
 *     System.err.println(e.getMessage()); // names the template, the column and what is allowed
 * }
 * }</pre>
 *
 * <p>It is never thrown for I/O or lifecycle problems; a template does neither.
 */
public class TemplateException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String template;

    TemplateException(String template, String message) {
        super(message);
        this.template = template;
    }

    /** The template text this error is about, exactly as given to {@link PathTemplate#compile}. */
    public String template() {
        return template;
    }
}

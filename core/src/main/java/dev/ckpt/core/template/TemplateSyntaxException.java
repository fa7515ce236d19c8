package dev.ckpt.core.template;

/**
 * A template that can never format: malformed braces, a positional field ({@code {}} or
 * {@code {0}}), attribute or index access ({@code {epoch.real}}, {@code {epoch[0]}}), an unknown
 * conversion, or a format spec that no value type accepts. Thrown by {@link PathTemplate#compile}.
 *
 * <pre>{@code
 * PathTemplate.compile("ckpt/{epoch:02q}");
 * // unknown format type 'q' in "ckpt/{epoch:02q}" at column 15; expected one of b c d e E f F g G n o s x X %
 * }</pre>
 *
 * <p>The column is 1-based and counts characters (Unicode code points), not UTF-16 units. It does
 * not cover specs that only some value types refuse; those are {@link TemplateFormatException}s.
 */
public final class TemplateSyntaxException extends TemplateException {
    private static final long serialVersionUID = 1L;

    private final int column;

    TemplateSyntaxException(String template, int column, String message) {
        super(template, message);
        this.column = column;
    }

    /** 1-based column (in code points) of the character the error points at. */
    public int column() {
        return column;
    }
}

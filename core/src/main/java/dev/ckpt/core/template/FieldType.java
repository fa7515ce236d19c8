package dev.ckpt.core.template;

/**
 * The Python type a template field will be given, for {@link PathTemplate#checkTypes} before any
 * value exists.
 *
 * <pre>{@code
 * template.checkTypes(Map.of("epoch", FieldType.INT, "val_loss", FieldType.FLOAT));
 * }</pre>
 *
 * <p>It does not model other Python types (bool, None, complex); ckpt never formats those.
 */
public enum FieldType {
    /** A Python {@code int}: Java {@code Integer}, {@code Long}, {@code Short}, {@code Byte} or {@code BigInteger}. */
    INT,
    /** A Python {@code float}: Java {@code Double} or {@code Float}. */
    FLOAT,
    /** A Python {@code str}: Java {@code String} (or another {@code CharSequence}). */
    STRING;

    String pythonName() {
        switch (this) {
            case INT: return "integer";
            case FLOAT: return "float";
            default: return "string";
        }
    }
}

package dev.ckpt.core.template;

/** A spec that no value type could accept; {@code index} is the UTF-16 offset inside the spec. */
final class SpecParseError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int index;

    SpecParseError(int index, String message) {
        super(message, null, false, false);
        this.index = index;
    }
}

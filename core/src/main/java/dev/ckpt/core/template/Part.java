package dev.ckpt.core.template;

import java.util.List;

/** A compiled piece of a template: literal text or a replacement field. */
interface Part {

    /** Text copied as is ({@code {{} and {@code }}} already unescaped). */
    final class Literal implements Part {
        final String text;

        Literal(String text) {
            this.text = text;
        }
    }

    /** One {@code {name!conversion:spec}} field. */
    final class Field implements Part {
        final String name;
        /** 0, 'r', 's' or 'a'. */
        final int conversion;
        /** UTF-16 index of the opening brace in the whole template. */
        final int braceIndex;
        /** The spec text as written, or "" when there is none. */
        final String specText;
        /** Parsed spec; null when the spec is empty or contains nested fields. */
        final FormatSpec spec;
        /** Parts of a spec with nested fields, expanded at format time; otherwise null. */
        final List<Part> nestedSpec;

        Field(String name, int conversion, int braceIndex, String specText, FormatSpec spec,
              List<Part> nestedSpec) {
            this.name = name;
            this.conversion = conversion;
            this.braceIndex = braceIndex;
            this.specText = specText;
            this.spec = spec;
            this.nestedSpec = nestedSpec;
        }
    }
}

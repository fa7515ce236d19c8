package dev.ckpt.core.template;

import java.math.BigInteger;

/** Formats one int, float or str value with a parsed spec, as CPython's built-in {@code __format__} does. */
final class ValueFormatter {
    private ValueFormatter() {
    }

    /** Python's {@code str()} of a value already classified by {@link #kindOf}. */
    static String str(Object value) {
        if (value instanceof Double) {
            return PythonFloatFormat.repr((Double) value);
        }
        return value.toString();
    }

    /** Python's {@code repr()} / {@code ascii()}. */
    static String repr(Object value, boolean asciiOnly) {
        if (value instanceof String) {
            return PyRepr.of((String) value, asciiOnly);
        }
        return str(value);
    }

    /** Normalises a Java value to Long, BigInteger, Double or String; null if unsupported. */
    static Object normalise(Object value) {
        if (value instanceof Long || value instanceof Double || value instanceof String) {
            return value;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof BigInteger) {
            BigInteger b = (BigInteger) value;
            return b.bitLength() < 64 ? (Object) b.longValue() : b;
        }
        if (value instanceof Float) {
            return ((Float) value).doubleValue();
        }
        if (value instanceof CharSequence) {
            return value.toString();
        }
        return null;
    }

    static FieldType kindOf(Object normalised) {
        if (normalised instanceof String) {
            return FieldType.STRING;
        }
        return normalised instanceof Double ? FieldType.FLOAT : FieldType.INT;
    }

    /**
     * Appends {@code value} formatted with {@code spec}; the spec must already fit the value's kind.
     * Returns null on success, or a reason when the value itself is out of range (type 'c').
     */
    static String append(StringBuilder out, Object value, FormatSpec spec) {
        FieldType kind = kindOf(value);
        int type = spec.effectiveType(kind);
        switch (kind) {
            case STRING:
                appendString(out, (String) value, spec);
                return null;
            case FLOAT:
                appendFloat(out, (Double) value, spec, type);
                return null;
            default:
                if (FormatSpec.isFloatType(type)) {
                    double d = value instanceof Long ? (double) (Long) value : ((BigInteger) value).doubleValue();
                    if (Double.isInfinite(d)) {
                        return "the integer is too large to convert to a float";
                    }
                    appendFloat(out, d, spec, type);
                    return null;
                }
                return appendInt(out, value, spec, type);
        }
    }

    private static void appendString(StringBuilder out, String s, FormatSpec spec) {
        int length = s.codePointCount(0, s.length());
        if (spec.precision >= 0 && length > spec.precision) {
            s = s.substring(0, s.offsetByCodePoints(0, (int) spec.precision));
            length = (int) spec.precision;
        }
        NumberLayout.pad(out, s, length, spec.width, spec.effectiveAlign(FieldType.STRING), spec.effectiveFill());
    }

    private static String appendInt(StringBuilder out, Object value, FormatSpec spec, int type) {
        boolean negative;
        if (type == 'c') {
            long cp = value instanceof Long ? (Long) value : -1;
            if (cp < 0 || cp > 0x10ffff) {
                return "type 'c' needs a Unicode code point in 0..1114111";
            }
            String ch = new String(Character.toChars((int) cp));
            NumberLayout.append(out, spec, FieldType.INT, false, "", "", false, ch, 0, ',');
            return null;
        }
        int radix;
        String prefix;
        switch (type) {
            case 'b': radix = 2; prefix = "0b"; break;
            case 'o': radix = 8; prefix = "0o"; break;
            case 'x': radix = 16; prefix = "0x"; break;
            case 'X': radix = 16; prefix = "0X"; break;
            default: radix = 10; prefix = ""; break;
        }
        String digits;
        if (value instanceof Long) {
            long v = (Long) value;
            negative = v < 0;
            digits = negative ? Long.toUnsignedString(-v, radix) : Long.toString(v, radix);
        } else {
            BigInteger v = (BigInteger) value;
            negative = v.signum() < 0;
            digits = v.abs().toString(radix);
        }
        if (type == 'X') {
            digits = digits.toUpperCase(java.util.Locale.ROOT);
        }
        int groupSize = 0;
        char separator = ',';
        if (type != 'n' && spec.grouping != FormatSpec.GROUP_NONE) {
            groupSize = radix == 10 ? 3 : 4;
            separator = spec.grouping == FormatSpec.GROUP_COMMA ? ',' : '_';
        }
        NumberLayout.append(out, spec, FieldType.INT, negative, spec.alternate ? prefix : "", digits, false, "",
                groupSize, separator);
        return null;
    }

    private static void appendFloat(StringBuilder out, double value, FormatSpec spec, int type) {
        int precision = (int) spec.precision;
        int code = type;
        boolean addDotZero = false;
        boolean percent = false;
        int defaultPrecision = 6;
        if (code == 0) {
            addDotZero = true;
            code = 'r';
            defaultPrecision = 0;
        }
        if (code == 'n') {
            code = 'g';
        }
        if (code == '%') {
            code = 'f';
            value *= 100;
            percent = true;
        }
        if (precision < 0) {
            precision = defaultPrecision;
        } else if (code == 'r') {
            code = 'g';
        }
        boolean upper = code == 'E' || code == 'F' || code == 'G';
        String text = PythonFloatFormat.toText(value, Character.toLowerCase(code), precision, upper, spec.alternate,
                addDotZero, spec.noNegZero);
        if (percent) {
            text = text + "%";
        }
        boolean negative = text.charAt(0) == '-';
        int start = negative ? 1 : 0;
        int end = start;
        while (end < text.length() && text.charAt(end) >= '0' && text.charAt(end) <= '9') {
            end++;
        }
        boolean decimal = end < text.length() && text.charAt(end) == '.';
        String remainder = text.substring(decimal ? end + 1 : end);
        int groupSize = 0;
        char separator = ',';
        if (type != 'n' && spec.grouping != FormatSpec.GROUP_NONE) {
            groupSize = 3;
            separator = spec.grouping == FormatSpec.GROUP_COMMA ? ',' : '_';
        }
        NumberLayout.append(out, spec, FieldType.FLOAT, negative, "", text.substring(start, end), decimal,
                remainder, groupSize, separator);
    }
}

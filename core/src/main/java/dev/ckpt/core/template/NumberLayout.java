package dev.ckpt.core.template;

/**
 * Lays out a formatted number as CPython does: padding, sign, prefix, zero padding that takes part in
 * digit grouping, grouped integer digits, decimal point and the rest (fraction, exponent, '%').
 */
final class NumberLayout {
    private NumberLayout() {
    }

    /**
     * @param negative  whether the number carries a minus sign
     * @param prefix    "0x" and friends, or ""
     * @param digits    ASCII integer digits (may be empty for type 'c')
     * @param decimal   whether a decimal point follows the digits
     * @param remainder what follows the decimal point (or the digits), e.g. "25e+03%" or the 'c' character
     * @param groupSize 0 for no grouping, else 3 or 4
     */
    static void append(StringBuilder out, FormatSpec spec, FieldType kind, boolean negative, String prefix,
                       String digits, boolean decimal, String remainder, int groupSize, char separator) {
        int signChar = 0;
        if (spec.sign == '+') {
            signChar = negative ? '-' : '+';
        } else if (spec.sign == ' ') {
            signChar = negative ? '-' : ' ';
        } else if (negative) {
            signChar = '-';
        }
        int align = spec.effectiveAlign(kind);
        int fill = spec.effectiveFill();
        long width = spec.width;
        long nonDigits = (signChar != 0 ? 1 : 0) + prefix.length() + (decimal ? 1 : 0)
                + remainder.codePointCount(0, remainder.length());
        long minWidth = (fill == '0' && align == '=') ? width - nonDigits : 0;
        String grouped = digits.isEmpty() ? "" : group(digits, minWidth, groupSize, separator);
        long padding = width - (nonDigits + grouped.length());
        long left = 0;
        long inner = 0;
        long right = 0;
        if (padding > 0) {
            switch (align) {
                case '<': right = padding; break;
                case '^': left = padding / 2; right = padding - left; break;
                case '=': inner = padding; break;
                default: left = padding; break;
            }
        }
        repeat(out, fill, left);
        if (signChar != 0) {
            out.append((char) signChar);
        }
        out.append(prefix);
        repeat(out, fill, inner);
        out.append(grouped);
        if (decimal) {
            out.append('.');
        }
        out.append(remainder);
        repeat(out, fill, right);
    }

    /** CPython's {@code _PyUnicode_InsertThousandsGrouping}: zero padding up to minWidth joins the groups. */
    static String group(String digits, long minWidth, int groupSize, char separator) {
        minWidth = Math.max(0, minWidth);
        int remaining = digits.length();
        if (groupSize == 0) {
            long len = Math.max(Math.max(remaining, minWidth), 1);
            StringBuilder sb = new StringBuilder();
            repeat(sb, '0', len - remaining);
            return sb.append(digits).toString();
        }
        java.util.ArrayList<String> groups = new java.util.ArrayList<>();
        int end = remaining;
        while (true) {
            long len = Math.min(groupSize, Math.max(Math.max(remaining, minWidth), 1));
            int chars = (int) Math.max(0, Math.min(remaining, len));
            long zeros = Math.max(0, len - remaining);
            StringBuilder g = new StringBuilder();
            repeat(g, '0', zeros);
            g.append(digits, end - chars, end);
            groups.add(g.toString());
            end -= chars;
            remaining -= chars;
            minWidth -= len;
            if (remaining <= 0 && minWidth <= 0) {
                break;
            }
            minWidth -= 1;
        }
        StringBuilder sb = new StringBuilder();
        for (int i = groups.size() - 1; i >= 0; i--) {
            sb.append(groups.get(i));
            if (i > 0) {
                sb.append(separator);
            }
        }
        return sb.toString();
    }

    static void repeat(StringBuilder out, int codePoint, long count) {
        for (long i = 0; i < count; i++) {
            out.appendCodePoint(codePoint);
        }
    }

    /** Pads an already formatted string (code points) to the spec's width and alignment. */
    static void pad(StringBuilder out, String text, int length, long width, int align, int fill) {
        long total = Math.max(width, length);
        long left;
        if (align == '>') {
            left = total - length;
        } else if (align == '^') {
            left = (total - length) / 2;
        } else {
            left = 0;
        }
        repeat(out, fill, left);
        out.append(text);
        repeat(out, fill, total - length - left);
    }
}

package dev.ckpt.core.template;

/** Python's {@code repr()} and {@code ascii()} of a {@code str}, for the {@code !r} and {@code !a} conversions. */
final class PyRepr {
    private PyRepr() {
    }

    static String of(String s, boolean asciiOnly) {
        char quote = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder(s.length() + 2).append(quote);
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp == quote || cp == '\\') {
                sb.append('\\').appendCodePoint(cp);
            } else if (cp == '\t') {
                sb.append("\\t");
            } else if (cp == '\n') {
                sb.append("\\n");
            } else if (cp == '\r') {
                sb.append("\\r");
            } else if (cp < ' ' || cp == 0x7f) {
                hex(sb, 'x', cp, 2);
            } else if (cp < 0x7f) {
                sb.append((char) cp);
            } else if (!asciiOnly && isPrintable(cp)) {
                sb.appendCodePoint(cp);
            } else if (cp <= 0xff) {
                hex(sb, 'x', cp, 2);
            } else if (cp <= 0xffff) {
                hex(sb, 'u', cp, 4);
            } else {
                hex(sb, 'U', cp, 8);
            }
        }
        return sb.append(quote).toString();
    }

    private static void hex(StringBuilder sb, char kind, int cp, int width) {
        String h = Integer.toHexString(cp);
        sb.append('\\').append(kind);
        for (int i = h.length(); i < width; i++) {
            sb.append('0');
        }
        sb.append(h);
    }

    /** Python's {@code str.isprintable} for one character: not a control, format, surrogate, private, unassigned or separator (except space). */
    private static boolean isPrintable(int cp) {
        switch (Character.getType(cp)) {
            case Character.CONTROL:
            case Character.FORMAT:
            case Character.SURROGATE:
            case Character.PRIVATE_USE:
            case Character.UNASSIGNED:
            case Character.LINE_SEPARATOR:
            case Character.PARAGRAPH_SEPARATOR:
            case Character.SPACE_SEPARATOR:
                return cp == ' ';
            default:
                return true;
        }
    }
}

package dev.ckpt.core.template;

/**
 * One parsed Python format spec ({@code [[fill]align][sign][z][#][0][width][grouping][.precision][type]}).
 * Parsing follows CPython 3.11's {@code parse_internal_render_format_spec}; what depends on the value's
 * type (default type, default alignment, which types are allowed) is resolved per {@link FieldType}.
 */
final class FormatSpec {
    static final String ALL_TYPES = "b c d e E f F g G n o s x X %";
    /** Wider output could not be built in one Java string; CPython would run out of memory too. */
    static final long MAX_WIDTH = Integer.MAX_VALUE / 2;
    static final int GROUP_NONE = 0;
    static final int GROUP_COMMA = 1;
    static final int GROUP_UNDERSCORE = 2;

    final String text;
    final int fill;
    final boolean fillSpecified;
    final int align;
    final boolean zero;
    final int sign;
    final boolean noNegZero;
    final boolean alternate;
    final long width;
    final int grouping;
    final long precision;
    final int type;
    private final String[] problems = new String[FieldType.values().length];

    private FormatSpec(String text, int fill, boolean fillSpecified, int align, boolean zero, int sign,
                       boolean noNegZero, boolean alternate, long width, int grouping, long precision,
                       int type) {
        this.text = text;
        this.fill = fill;
        this.fillSpecified = fillSpecified;
        this.align = align;
        this.zero = zero;
        this.sign = sign;
        this.noNegZero = noNegZero;
        this.alternate = alternate;
        this.width = width;
        this.grouping = grouping;
        this.precision = precision;
        this.type = type;
        for (FieldType kind : FieldType.values()) {
            problems[kind.ordinal()] = computeProblem(kind);
        }
    }

    static boolean isAlign(int c) {
        return c == '<' || c == '>' || c == '=' || c == '^';
    }

    /** Parses {@code spec}; throws {@link SpecParseError} for what is malformed for every type. */
    static FormatSpec parse(String spec) {
        int n = spec.length();
        int pos = 0;
        int fill = ' ';
        boolean fillSpecified = false;
        int align = 0;
        if (n > 0) {
            int first = spec.codePointAt(0);
            int second = Character.charCount(first);
            if (second < n && isAlign(spec.charAt(second))) {
                fill = first;
                fillSpecified = true;
                align = spec.charAt(second);
                pos = second + 1;
            } else if (isAlign(first)) {
                align = first;
                pos = 1;
            }
        }
        int sign = 0;
        if (pos < n && (spec.charAt(pos) == '+' || spec.charAt(pos) == '-' || spec.charAt(pos) == ' ')) {
            sign = spec.charAt(pos++);
        }
        boolean noNegZero = false;
        if (pos < n && spec.charAt(pos) == 'z') {
            noNegZero = true;
            pos++;
        }
        boolean alternate = false;
        if (pos < n && spec.charAt(pos) == '#') {
            alternate = true;
            pos++;
        }
        boolean zero = false;
        if (!fillSpecified && pos < n && spec.charAt(pos) == '0') {
            zero = true;
            pos++;
        }
        int widthStart = pos;
        long width = -1;
        long[] number = new long[1];
        pos = readInteger(spec, pos, number, "width");
        if (pos > widthStart) {
            width = number[0];
        }
        int grouping = GROUP_NONE;
        if (pos < n && spec.charAt(pos) == ',') {
            grouping = GROUP_COMMA;
            pos++;
        }
        if (pos < n && spec.charAt(pos) == '_') {
            if (grouping != GROUP_NONE) {
                throw new SpecParseError(pos, "cannot use both ',' and '_' as thousands separator");
            }
            grouping = GROUP_UNDERSCORE;
            pos++;
        }
        if (pos < n && spec.charAt(pos) == ',') {
            throw new SpecParseError(pos, "cannot use both ',' and '_' as thousands separator");
        }
        long precision = -1;
        if (pos < n && spec.charAt(pos) == '.') {
            int dot = pos;
            pos = readInteger(spec, pos + 1, number, "precision");
            if (pos == dot + 1) {
                throw new SpecParseError(dot, "'.' must be followed by a precision (digits)");
            }
            precision = number[0];
        }
        int type = 0;
        if (pos < n) {
            int cp = spec.codePointAt(pos);
            if (pos + Character.charCount(cp) < n) {
                throw new SpecParseError(pos, "unexpected '" + spec.substring(pos)
                        + "' after the spec; the spec ends with at most one type character, one of " + ALL_TYPES);
            }
            type = cp;
            if (ALL_TYPES.indexOf(cp) < 0 || cp == ' ') {
                throw new SpecParseError(pos, "unknown format type '" + new String(Character.toChars(cp)) + "'");
            }
        }
        return new FormatSpec(spec, fill, fillSpecified, align, zero, sign, noNegZero, alternate, width,
                grouping, precision, type);
    }

    private static int readInteger(String spec, int pos, long[] out, String what) {
        long acc = 0;
        int start = pos;
        while (pos < spec.length()) {
            int cp = spec.codePointAt(pos);
            if (Character.getType(cp) != Character.DECIMAL_DIGIT_NUMBER) {
                break;
            }
            int digit = Character.digit(cp, 10);
            if (acc > (Long.MAX_VALUE - digit) / 10) {
                throw new SpecParseError(start, what + " has too many digits");
            }
            acc = acc * 10 + digit;
            pos += Character.charCount(cp);
        }
        out[0] = acc;
        return pos;
    }

    /** The type that applies to a value of {@code kind}: the explicit one or the kind's default. */
    int effectiveType(FieldType kind) {
        if (type != 0) {
            return type;
        }
        switch (kind) {
            case INT: return 'd';
            case STRING: return 's';
            default: return 0;
        }
    }

    /** Alignment for {@code kind}, after defaults and the legacy {@code 0} flag. */
    int effectiveAlign(FieldType kind) {
        if (align != 0) {
            return align;
        }
        if (kind == FieldType.STRING) {
            return '<';
        }
        return zero ? '=' : '>';
    }

    int effectiveFill() {
        return fillSpecified ? fill : (zero ? '0' : ' ');
    }

    /** Why this spec cannot format a value of {@code kind} regardless of the value, or {@code null}. */
    String problem(FieldType kind) {
        return problems[kind.ordinal()];
    }

    boolean fitsNoType() {
        for (String p : problems) {
            if (p == null) {
                return false;
            }
        }
        return true;
    }

    static boolean isFloatType(int t) {
        return t == 'e' || t == 'E' || t == 'f' || t == 'F' || t == 'g' || t == 'G' || t == '%';
    }

    static String typeName(int t) {
        return t == 0 ? "none" : "'" + new String(Character.toChars(t)) + "'";
    }

    private String computeProblem(FieldType kind) {
        if (width > MAX_WIDTH) {
            return "width " + width + " is too big (at most " + MAX_WIDTH + ")";
        }
        int t = effectiveType(kind);
        if (grouping != GROUP_NONE) {
            boolean allowed = t == 'd' || isFloatType(t) || t == 0
                    || (grouping == GROUP_UNDERSCORE && (t == 'b' || t == 'o' || t == 'x' || t == 'X'));
            if (!allowed) {
                String sep = grouping == GROUP_COMMA ? "','" : "'_'";
                return "thousands separator " + sep + " cannot be combined with type " + typeName(t)
                        + (type == 0 ? " (the default for a " + kind.pythonName() + ")" : "");
            }
        }
        switch (kind) {
            case STRING:
                if (t != 's') {
                    return "type " + typeName(t) + " does not format a string; a string takes s or no type";
                }
                if (sign != 0) {
                    return "a sign ('" + (char) sign + "') is not allowed for a string";
                }
                if (noNegZero) {
                    return "'z' is not allowed for a string";
                }
                if (alternate) {
                    return "'#' is not allowed for a string";
                }
                if (align == '=') {
                    return "'=' alignment is not allowed for a string";
                }
                return null;
            case INT:
                if (isFloatType(t)) {
                    return precisionProblem();
                }
                if ("bcdnoxX".indexOf(t) < 0) {
                    return "type " + typeName(t)
                            + " does not format an integer; an integer takes b c d e E f F g G n o x X % or no type";
                }
                if (precision != -1) {
                    return "a precision is not allowed with integer type " + typeName(t);
                }
                if (noNegZero) {
                    return "'z' is not allowed with integer type " + typeName(t);
                }
                if (t == 'c' && sign != 0) {
                    return "a sign is not allowed with type 'c'";
                }
                if (t == 'c' && alternate) {
                    return "'#' is not allowed with type 'c'";
                }
                return null;
            default:
                if (t != 0 && t != 'n' && !isFloatType(t)) {
                    return "type " + typeName(t)
                            + " does not format a float; a float takes e E f F g G n % or no type";
                }
                return precisionProblem();
        }
    }

    private String precisionProblem() {
        if (precision > Integer.MAX_VALUE) {
            return "precision " + precision + " is too big (at most " + Integer.MAX_VALUE + ")";
        }
        return null;
    }
}

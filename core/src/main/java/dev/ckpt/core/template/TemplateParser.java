package dev.ckpt.core.template;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses a whole template once, following CPython's {@code MarkupIterator} and {@code parse_field},
 * but reporting every malformed piece at compile time instead of when the piece is reached.
 */
final class TemplateParser {
    private final String template;

    private TemplateParser(String template) {
        this.template = template;
    }

    static List<Part> parse(String template) {
        return new TemplateParser(template).parseRange(0, template.length(), true);
    }

    int column(int index) {
        return template.codePointCount(0, index) + 1;
    }

    private TemplateSyntaxException error(int index, String what, String hint) {
        int col = column(index);
        String msg = what + " in " + Messages.quote(template) + " at column " + col + (hint.isEmpty() ? "" : "; " + hint);
        return new TemplateSyntaxException(template, col, msg);
    }

    private List<Part> parseRange(int from, int to, boolean topLevel) {
        List<Part> parts = new ArrayList<>();
        StringBuilder literal = new StringBuilder();
        int i = from;
        while (i < to) {
            char c = template.charAt(i);
            if (c == '}') {
                if (i + 1 < to && template.charAt(i + 1) == '}') {
                    literal.append('}');
                    i += 2;
                    continue;
                }
                throw error(i, "single '}'", "write '}}' for a literal brace");
            }
            if (c != '{') {
                literal.append(c);
                i++;
                continue;
            }
            if (i + 1 < to && template.charAt(i + 1) == '{') {
                literal.append('{');
                i += 2;
                continue;
            }
            if (i + 1 >= to) {
                throw error(i, "single '{'", "write '{{' for a literal brace");
            }
            if (literal.length() > 0) {
                parts.add(new Part.Literal(literal.toString()));
                literal.setLength(0);
            }
            i = parseField(i, to, topLevel, parts);
        }
        if (literal.length() > 0) {
            parts.add(new Part.Literal(literal.toString()));
        }
        return parts;
    }

    /** Parses the field whose '{' is at {@code brace}; returns the index after its closing '}'. */
    private int parseField(int brace, int to, boolean topLevel, List<Part> parts) {
        int j = brace + 1;
        char stop = 0;
        while (j < to) {
            char c = template.charAt(j++);
            if (c == '{') {
                throw error(j - 1, "unexpected '{' in a field name", "a field is {name} or {name:spec}");
            }
            if (c == '[') {
                while (j < to && template.charAt(j) != ']') {
                    j++;
                }
                continue;
            }
            if (c == '}' || c == ':' || c == '!') {
                stop = c;
                break;
            }
        }
        if (stop == 0) {
            throw unclosed(brace);
        }
        int nameEnd = j - 1;
        String name = template.substring(brace + 1, nameEnd);
        int conversion = 0;
        int convIndex = -1;
        int specStart = -1;
        int specEnd = -1;
        boolean nested = false;
        if (stop == '!') {
            if (j >= to) {
                throw unclosed(brace);
            }
            convIndex = j;
            conversion = template.codePointAt(j);
            j += Character.charCount(conversion);
            if (j < to) {
                char c = template.charAt(j++);
                if (c == '}') {
                    stop = '}';
                } else if (c != ':') {
                    throw error(j - 1, "expected ':' or '}' after the conversion '!" + cp(conversion) + "'",
                            "a field is {name!r} or {name!r:spec}");
                }
            }
        }
        if (stop != '}') {
            specStart = j;
            int depth = 1;
            while (j < to) {
                char c = template.charAt(j++);
                if (c == '{') {
                    nested = true;
                    depth++;
                } else if (c == '}' && --depth == 0) {
                    specEnd = j - 1;
                    break;
                }
            }
            if (specEnd < 0) {
                throw unclosed(brace);
            }
        }
        checkName(brace, name);
        if (conversion != 0 && conversion != 'r' && conversion != 's' && conversion != 'a') {
            throw error(convIndex, "unknown conversion '!" + cp(conversion) + "'", "expected one of !r !s !a");
        }
        String specText = specStart < 0 ? "" : template.substring(specStart, specEnd);
        FormatSpec spec = null;
        List<Part> nestedParts = null;
        if (nested) {
            if (!topLevel) {
                throw error(specStart, "format spec nested more than one level deep", "a nested field is {name}");
            }
            nestedParts = parseRange(specStart, specEnd, false);
        } else if (!specText.isEmpty()) {
            spec = parseSpec(name, specText, specStart, conversion);
        }
        parts.add(new Part.Field(name, conversion, brace, specText, spec, nestedParts));
        return j;
    }

    private TemplateSyntaxException unclosed(int brace) {
        return error(brace, "field opened by '{' is not closed", "expected '}'; write '{{' for a literal brace");
    }

    private void checkName(int brace, String name) {
        int end = 0;
        while (end < name.length() && name.charAt(end) != '.' && name.charAt(end) != '[') {
            end++;
        }
        String first = name.substring(0, end);
        String shown = "'{" + name + "}'";
        if (end < name.length()) {
            String kind = name.charAt(end) == '.' ? "attribute access" : "index access";
            throw error(brace, kind + " " + shown + " is not supported",
                    "a field is a plain name such as {" + (first.isEmpty() ? "epoch" : first) + "}");
        }
        if (first.isEmpty()) {
            throw error(brace, "positional field '{}' is not supported", "name the value, e.g. {epoch}");
        }
        if (first.codePoints().allMatch(c -> Character.getType(c) == Character.DECIMAL_DIGIT_NUMBER)) {
            throw error(brace, "positional field " + shown + " is not supported", "name the value, e.g. {epoch}");
        }
    }

    private FormatSpec parseSpec(String name, String specText, int specStart, int conversion) {
        FormatSpec spec;
        try {
            spec = FormatSpec.parse(specText);
        } catch (SpecParseError e) {
            int at = specStart + e.index;
            if (e.getMessage().startsWith("unknown format type")) {
                throw error(at, e.getMessage(), "expected one of " + FormatSpec.ALL_TYPES);
            }
            throw error(at, e.getMessage() + " (format spec '" + specText + "' of field '" + name + "')", "");
        }
        String what = "format spec '" + specText + "' of field '" + name + "'";
        if (conversion != 0) {
            String problem = spec.problem(FieldType.STRING);
            if (problem != null) {
                throw error(specStart, what + " cannot format the string that !" + cp(conversion) + " produces",
                        problem);
            }
        } else if (spec.fitsNoType()) {
            throw error(specStart, what + " fits no value type",
                    "integer: " + spec.problem(FieldType.INT) + "; float: " + spec.problem(FieldType.FLOAT)
                            + "; string: " + spec.problem(FieldType.STRING));
        }
        return spec;
    }

    private static String cp(int codePoint) {
        return new String(Character.toChars(codePoint));
    }
}

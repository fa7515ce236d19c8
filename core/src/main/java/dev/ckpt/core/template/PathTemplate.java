package dev.ckpt.core.template;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A checkpoint filepath template in Python {@code str.format} syntax, parsed once and formatted
 * exactly as CPython 3.11 formats it (what Keras's {@code ModelCheckpoint(filepath=...)} does).
 *
 * <pre>{@code
 * PathTemplate t = PathTemplate.compile("ckpt/e{epoch:02d}-{val_loss:.3f}");
 * t.fieldNames();                                        // [epoch, val_loss]
 * t.format(Map.of("epoch", 7, "val_loss", 0.945));       // "ckpt/e07-0.945"
 * t.checkTypes(Map.of("val_loss", FieldType.FLOAT));     // passes; {val_loss:d} would throw
 * }</pre>
 *
 * <p>Values: {@code Integer}, {@code Long}, {@code Short}, {@code Byte}, {@code BigInteger} are Python
 * ints; {@code Double} and {@code Float} are Python floats (a float is widened exactly); strings are
 * Python strs. The whole format-spec mini-language is supported, including {@code !r}/{@code !s}/{@code !a},
 * shortest-repr floats, round-half-even on the exact binary value, and {@code n} as in the C locale.
 *
 * <p>Deliberately not supported: positional fields ({@code {}}, {@code {0}}) and attribute or index
 * access ({@code {epoch.real}}, {@code {epoch[0]}}) are refused by {@link #compile}; other Python
 * types (bool, None) are refused by {@link #format}. Unlike CPython, which parses lazily while it
 * formats, every malformed part is reported by {@link #compile}, even one that follows a field whose
 * value would be missing. Nested fields in a spec ({@code {epoch:{width}}}) work as in CPython and
 * count as fields. Instances are immutable and thread-safe.
 */
public final class PathTemplate {
    private final String source;
    private final List<Part> parts;
    private final List<String> fieldNames;

    private PathTemplate(String source, List<Part> parts) {
        this.source = source;
        this.parts = List.copyOf(parts);
        Set<String> names = new LinkedHashSet<>();
        for (Part part : parts) {
            if (part instanceof Part.Field) {
                Part.Field field = (Part.Field) part;
                names.add(field.name);
                if (field.nestedSpec != null) {
                    for (Part inner : field.nestedSpec) {
                        if (inner instanceof Part.Field) {
                            names.add(((Part.Field) inner).name);
                        }
                    }
                }
            }
        }
        this.fieldNames = List.copyOf(names);
    }

    /**
     * Parses {@code template}.
     *
     * @throws TemplateSyntaxException if the template is malformed, uses positional fields, attribute or
     *                                 index access, an unknown conversion, or a spec that fits no value type
     * @throws NullPointerException    if {@code template} is null
     */
    public static PathTemplate compile(String template) {
        Objects.requireNonNull(template, "template");
        return new PathTemplate(template, TemplateParser.parse(template));
    }

    /** The template text as given to {@link #compile}. */
    public String source() {
        return source;
    }

    /** Distinct field names in order of first appearance (a nested spec's fields follow their field's name). */
    public List<String> fieldNames() {
        return fieldNames;
    }

    /** Whether the template has any field; false for a fixed path such as {@code "runs/x/best"}. */
    public boolean hasFields() {
        return !fieldNames.isEmpty();
    }

    /**
     * The text every formatted path starts with: the template up to its first field, escapes resolved
     * ({@code "runs/{{x}}/e{epoch}"} gives {@code "runs/{x}/e"}); the whole text for a fixed path.
     */
    public String literalPrefix() {
        StringBuilder out = new StringBuilder();
        for (Part part : parts) {
            if (!(part instanceof Part.Literal)) {
                break;
            }
            out.append(((Part.Literal) part).text);
        }
        return out.toString();
    }

    /**
     * Formats the template with {@code values}, field by field from left to right as CPython does.
     *
     * @throws TemplateFormatException if a field has no value (see {@link TemplateFormatException#missingField()}),
     *                                 a value has an unsupported Java type, or a spec does not fit a value
     */
    public String format(Map<String, ?> values) {
        Objects.requireNonNull(values, "values");
        StringBuilder out = new StringBuilder(source.length() + 16);
        for (Part part : parts) {
            if (part instanceof Part.Literal) {
                out.append(((Part.Literal) part).text);
            } else {
                appendField(out, (Part.Field) part, values);
            }
        }
        return out.toString();
    }

    /**
     * Checks, before any value exists, that every field named in {@code types} can format a value of that
     * type; fields absent from {@code types} are skipped. {@code {epoch:.2f}} fits INT (Python converts),
     * {@code {val_loss:d}} does not fit FLOAT.
     *
     * @throws TemplateFormatException naming the first field whose spec can never format its type
     */
    public void checkTypes(Map<String, FieldType> types) {
        Objects.requireNonNull(types, "types");
        for (Part part : parts) {
            if (!(part instanceof Part.Field)) {
                continue;
            }
            Part.Field field = (Part.Field) part;
            FieldType type = types.get(field.name);
            if (type == null || field.spec == null) {
                continue;
            }
            FieldType kind = field.conversion != 0 ? FieldType.STRING : type;
            String problem = field.spec.problem(kind);
            if (problem != null) {
                throw new TemplateFormatException(source, "field '" + field.name + "' in " + Messages.quote(source)
                        + " at column " + column(field.braceIndex) + " cannot format " + article(type) + " "
                        + type + " value with spec '" + field.specText + "': " + problem, null);
            }
        }
    }

    @Override
    public String toString() {
        return "PathTemplate[" + source + "]";
    }

    private void appendField(StringBuilder out, Part.Field field, Map<String, ?> values) {
        Object value = lookup(field.name, values);
        if (field.conversion == 'r' || field.conversion == 'a') {
            value = ValueFormatter.repr(value, field.conversion == 'a');
        } else if (field.conversion == 's') {
            value = ValueFormatter.str(value);
        }
        FormatSpec spec = field.spec;
        String specText = field.specText;
        if (field.nestedSpec != null) {
            StringBuilder expanded = new StringBuilder();
            for (Part inner : field.nestedSpec) {
                if (inner instanceof Part.Literal) {
                    expanded.append(((Part.Literal) inner).text);
                } else {
                    appendField(expanded, (Part.Field) inner, values);
                }
            }
            specText = expanded.toString();
            if (!specText.isEmpty()) {
                try {
                    spec = FormatSpec.parse(specText);
                } catch (SpecParseError e) {
                    throw mismatch(field, value, specText, e.getMessage());
                }
            }
        }
        if (spec == null) {
            out.append(ValueFormatter.str(value));
            return;
        }
        String problem = spec.problem(ValueFormatter.kindOf(value));
        if (problem == null) {
            problem = ValueFormatter.append(out, value, spec);
        }
        if (problem != null) {
            throw mismatch(field, value, specText, problem);
        }
    }

    private Object lookup(String name, Map<String, ?> values) {
        Object raw = values.get(name);
        if (raw == null) {
            if (!values.containsKey(name)) {
                Set<String> available = new TreeSet<>();
                for (Object key : values.keySet()) {
                    available.add(String.valueOf(key));
                }
                throw new TemplateFormatException(source, "template " + Messages.quote(source) + " needs field '"
                        + name + "' but it was not given; available: "
                        + (available.isEmpty() ? "(none)" : String.join(", ", available)), name);
            }
            throw new TemplateFormatException(source, "template " + Messages.quote(source) + " needs field '"
                    + name + "' but its value is null", null);
        }
        Object value = ValueFormatter.normalise(raw);
        if (value == null) {
            throw new TemplateFormatException(source, "field '" + name + "' in " + Messages.quote(source)
                    + " has a value of type " + raw.getClass().getName()
                    + "; expected Integer, Long, Short, Byte, BigInteger, Double, Float or String", null);
        }
        return value;
    }

    private TemplateFormatException mismatch(Part.Field field, Object value, String specText, String problem) {
        FieldType kind = ValueFormatter.kindOf(value);
        String shown = kind == FieldType.STRING ? PyRepr.of((String) value, false) : ValueFormatter.str(value);
        return new TemplateFormatException(source, "field '" + field.name + "' in " + Messages.quote(source)
                + " at column " + column(field.braceIndex) + " cannot format " + kind.pythonName() + " " + shown
                + " with spec '" + specText + "': " + problem, null);
    }

    private int column(int index) {
        return source.codePointCount(0, index) + 1;
    }

    private static String article(FieldType type) {
        return type == FieldType.INT ? "an" : "a";
    }
}

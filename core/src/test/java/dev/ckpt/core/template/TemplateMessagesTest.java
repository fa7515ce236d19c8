package dev.ckpt.core.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Pins the exact text of every kind of template error: messages are a contract. */
class TemplateMessagesTest {

    static Stream<Arguments> syntaxErrors() {
        return Stream.of(
                Arguments.of("e{epoch:02q}",
                        "unknown format type 'q' in \"e{epoch:02q}\" at column 11; expected one of b c d e E f F g G n o s x X %"),
                Arguments.of("ckpt/{epoch:02d}}",
                        "single '}' in \"ckpt/{epoch:02d}}\" at column 17; write '}}' for a literal brace"),
                Arguments.of("ckpt/{",
                        "single '{' in \"ckpt/{\" at column 6; write '{{' for a literal brace"),
                Arguments.of("ckpt/{epoch",
                        "field opened by '{' is not closed in \"ckpt/{epoch\" at column 6; expected '}'; write '{{' for a literal brace"),
                Arguments.of("a{}",
                        "positional field '{}' is not supported in \"a{}\" at column 2; name the value, e.g. {epoch}"),
                Arguments.of("a{0}",
                        "positional field '{0}' is not supported in \"a{0}\" at column 2; name the value, e.g. {epoch}"),
                Arguments.of("é/{epoch.real}",
                        "attribute access '{epoch.real}' is not supported in \"é/{epoch.real}\" at column 3; a field is a plain name such as {epoch}"),
                Arguments.of("_{epoch[0]}",
                        "index access '{epoch[0]}' is not supported in \"_{epoch[0]}\" at column 2; a field is a plain name such as {epoch}"),
                Arguments.of("{epoch!x}",
                        "unknown conversion '!x' in \"{epoch!x}\" at column 8; expected one of !r !s !a"),
                Arguments.of("{epoch!rx}",
                        "expected ':' or '}' after the conversion '!r' in \"{epoch!rx}\" at column 9; a field is {name!r} or {name!r:spec}"),
                Arguments.of("{ep{och}",
                        "unexpected '{' in a field name in \"{ep{och}\" at column 4; a field is {name} or {name:spec}"),
                Arguments.of("{loss:.f}",
                        "'.' must be followed by a precision (digits) (format spec '.f' of field 'loss') in \"{loss:.f}\" at column 7"),
                Arguments.of("{loss:,_d}",
                        "cannot use both ',' and '_' as thousands separator (format spec ',_d' of field 'loss') in \"{loss:,_d}\" at column 8"),
                Arguments.of("{loss:10ff}",
                        "unexpected 'ff' after the spec; the spec ends with at most one type character, one of b c d e E f F g G n o s x X % (format spec '10ff' of field 'loss') in \"{loss:10ff}\" at column 9"),
                Arguments.of("{loss:+s}",
                        "format spec '+s' of field 'loss' fits no value type in \"{loss:+s}\" at column 7; integer: type 's' does not format an integer; an integer takes b c d e E f F g G n o x X % or no type; float: type 's' does not format a float; a float takes e E f F g G n % or no type; string: a sign ('+') is not allowed for a string"),
                Arguments.of("{loss!r:+}",
                        "format spec '+' of field 'loss' cannot format the string that !r produces in \"{loss!r:+}\" at column 9; a sign ('+') is not allowed for a string"),
                Arguments.of("{loss:{w:{x}}}",
                        "format spec nested more than one level deep in \"{loss:{w:{x}}}\" at column 10; a nested field is {name}"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("syntaxErrors")
    void syntaxErrorMessageNamesTemplateColumnAndWhatIsAllowed(String template, String message) {
        TemplateSyntaxException e = assertThrows(TemplateSyntaxException.class, () -> PathTemplate.compile(template));
        assertEquals(message, e.getMessage());
        assertEquals(template, e.template());
    }

    @Test
    void missingFieldNamesTheFieldAndListsTheAvailableOnesSorted() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("val_loss", 0.5);
        values.put("epoch", 3);
        values.put("loss", 0.7);
        TemplateFormatException e = assertThrows(TemplateFormatException.class,
                () -> PathTemplate.compile("e{epoch}-{val_los:.2f}").format(values));
        assertEquals("template \"e{epoch}-{val_los:.2f}\" needs field 'val_los' but it was not given; "
                + "available: epoch, loss, val_loss", e.getMessage());
        assertEquals("val_los", e.missingField());
    }

    @Test
    void missingFieldWithNoValuesSaysNone() {
        TemplateFormatException e = assertThrows(TemplateFormatException.class,
                () -> PathTemplate.compile("{epoch}").format(Map.of()));
        assertEquals("template \"{epoch}\" needs field 'epoch' but it was not given; available: (none)", e.getMessage());
    }

    @Test
    void specThatDoesNotFitTheValueNamesFieldValueAndAllowedTypes() {
        TemplateFormatException e = assertThrows(TemplateFormatException.class,
                () -> PathTemplate.compile("e{val_loss:d}").format(Map.of("val_loss", 0.945)));
        assertEquals("field 'val_loss' in \"e{val_loss:d}\" at column 2 cannot format float 0.945 with spec 'd': "
                + "type 'd' does not format a float; a float takes e E f F g G n % or no type", e.getMessage());
        assertEquals(null, e.missingField());
    }

    @Test
    void negativeZeroFlagOnAnIntegerIsExplained() {
        TemplateFormatException e = assertThrows(TemplateFormatException.class,
                () -> PathTemplate.compile("{epoch:z}").format(Map.of("epoch", 4)));
        assertEquals("field 'epoch' in \"{epoch:z}\" at column 1 cannot format integer 4 with spec 'z': "
                + "'z' is not allowed with integer type 'd'", e.getMessage());
    }

    @Test
    void characterOutOfRangeIsExplained() {
        TemplateFormatException e = assertThrows(TemplateFormatException.class,
                () -> PathTemplate.compile("{epoch:c}").format(Map.of("epoch", 1_114_112)));
        assertEquals("field 'epoch' in \"{epoch:c}\" at column 1 cannot format integer 1114112 with spec 'c': "
                + "type 'c' needs a Unicode code point in 0..1114111", e.getMessage());
    }

    @Test
    void commaWithAStringIsExplained() {
        TemplateFormatException e = assertThrows(TemplateFormatException.class,
                () -> PathTemplate.compile("{run:,}").format(Map.of("run", "a")));
        assertEquals("field 'run' in \"{run:,}\" at column 1 cannot format string 'a' with spec ',': "
                + "thousands separator ',' cannot be combined with type 's' (the default for a string)", e.getMessage());
    }

    @Test
    void unsupportedJavaValueTypeIsNamed() {
        TemplateFormatException e = assertThrows(TemplateFormatException.class,
                () -> PathTemplate.compile("{epoch}").format(Map.of("epoch", true)));
        assertEquals("field 'epoch' in \"{epoch}\" has a value of type java.lang.Boolean; "
                + "expected Integer, Long, Short, Byte, BigInteger, Double, Float or String", e.getMessage());
    }

    @Test
    void nullValueIsNamed() {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("epoch", null);
        TemplateFormatException e = assertThrows(TemplateFormatException.class,
                () -> PathTemplate.compile("{epoch}").format(values));
        assertEquals("template \"{epoch}\" needs field 'epoch' but its value is null", e.getMessage());
    }

    @Test
    void checkTypesNamesFieldTypeAndReason() {
        TemplateFormatException e = assertThrows(TemplateFormatException.class,
                () -> PathTemplate.compile("ck/e{epoch:02d}-{val_loss:d}")
                        .checkTypes(Map.of("epoch", FieldType.INT, "val_loss", FieldType.FLOAT)));
        assertEquals("field 'val_loss' in \"ck/e{epoch:02d}-{val_loss:d}\" at column 17 cannot format a FLOAT value "
                + "with spec 'd': type 'd' does not format a float; a float takes e E f F g G n % or no type", e.getMessage());
    }
}

package dev.ckpt.core.template;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The public API of PathTemplate, one behaviour per test. */
class PathTemplateTest {

    @Test
    void fieldNamesAreDistinctInOrderOfFirstAppearance() {
        PathTemplate t = PathTemplate.compile("{val_loss:.2f}/e{epoch:02d}-{val_loss}-{loss:>{width}}");
        assertEquals(List.of("val_loss", "epoch", "loss", "width"), t.fieldNames());
        assertTrue(t.hasFields());
    }

    @Test
    void fixedPathHasNoFieldsAndFormatsToItself() {
        PathTemplate t = PathTemplate.compile("runs/x/{{best}}");
        assertEquals(List.of(), t.fieldNames());
        assertFalse(t.hasFields());
        assertEquals("runs/x/{best}", t.format(Map.of()));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "runs/digits/e{epoch:02d}|runs/digits/e",
        "runs/{{x}}/e{epoch}|runs/{x}/e",
        "{epoch}|''",
        "runs/x/best|runs/x/best",
        "s3://bucket/runs/e{epoch}-{val_loss:.2f}|s3://bucket/runs/e",
    })
    void literalPrefixIsTheTextBeforeTheFirstFieldWithEscapesResolved(String template, String prefix) {
        assertEquals(prefix, PathTemplate.compile(template).literalPrefix());
    }

    @Test
    void sourceIsTheTemplateAsGiven() {
        assertEquals("ck/{epoch}", PathTemplate.compile("ck/{epoch}").source());
    }

    @Test
    void fieldNamesCannotBeModified() {
        List<String> names = PathTemplate.compile("{epoch}").fieldNames();
        assertThrows(UnsupportedOperationException.class, () -> names.add("x"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "ckpt/e{epoch:02d}-{val_loss:.3f}|ckpt/e07-0.945",
            "{val_loss}|0.945",
            "{val_loss:.2%}|94.50%",
            "{epoch:.2f}|7.00",
            "{epoch!r}|7",
            "{val_loss!s:>8}|'   0.945'",
            "{epoch:#06b}|0b0111",
            "{epoch:x^+5}|x+7xx",
    })
    void formatsLikePython(String template, String expected) {
        assertEquals(expected, PathTemplate.compile(template).format(Map.of("epoch", 7, "val_loss", 0.945)));
    }

    @Test
    void roundsHalfEvenOnTheExactBinaryValue() {
        PathTemplate t = PathTemplate.compile("{x:.2f}");
        assertEquals("0.12", t.format(Map.of("x", 0.125)));
        assertEquals("0.38", t.format(Map.of("x", 0.375)));
        assertEquals("2.67", t.format(Map.of("x", 2.675)));
    }

    @Test
    void bareFloatUsesShortestRepr() {
        PathTemplate t = PathTemplate.compile("{x}");
        assertEquals("2e+23", t.format(Map.of("x", 2e23)));
        assertEquals("1e+16", t.format(Map.of("x", 1e16)));
        assertEquals("1e-05", t.format(Map.of("x", 1e-5)));
        assertEquals("0.0001", t.format(Map.of("x", 1e-4)));
        assertEquals("123.0", t.format(Map.of("x", 123.0)));
        assertEquals("-0.0", t.format(Map.of("x", -0.0)));
        assertEquals("nan", t.format(Map.of("x", Double.NaN)));
        assertEquals("-inf", t.format(Map.of("x", Double.NEGATIVE_INFINITY)));
        assertEquals("5e-324", t.format(Map.of("x", Double.MIN_VALUE)));
    }

    @Test
    void noTypeWithPrecisionKeepsOneDigitAfterThePoint() {
        PathTemplate t = PathTemplate.compile("{x:.3}");
        assertEquals("12.0", t.format(Map.of("x", 12.0)));
        assertEquals("1.23e+02", t.format(Map.of("x", 123.0)));
    }

    @Test
    void negativeZeroFlagDropsTheSignOfARoundedZero() {
        assertEquals("0.0", PathTemplate.compile("{x:z.1f}").format(Map.of("x", -0.04)));
        assertEquals("-0.0", PathTemplate.compile("{x:.1f}").format(Map.of("x", -0.04)));
    }

    @Test
    void zeroPaddingTakesPartInGrouping() {
        assertEquals("0,001,234", PathTemplate.compile("{x:08,}").format(Map.of("x", 1234)));
        assertEquals("0_0000_ffff", PathTemplate.compile("{x:010_x}").format(Map.of("x", 65535)));
    }

    @Test
    void javaNumberTypesMapToPythonIntAndFloat() {
        PathTemplate t = PathTemplate.compile("{v:,}");
        assertEquals("1,234", t.format(Map.of("v", (short) 1234)));
        assertEquals("12", t.format(Map.of("v", (byte) 12)));
        assertEquals("1,234,567,890,123", t.format(Map.of("v", 1_234_567_890_123L)));
        assertEquals("123,456,789,012,345,678,901,234,567,890",
                t.format(Map.of("v", new BigInteger("123456789012345678901234567890"))));
        assertEquals("0.10000000149011612", PathTemplate.compile("{v}").format(Map.of("v", 0.1f)));
    }

    @Test
    void stringValuesFormatAsPythonStr() {
        assertEquals("ab***", PathTemplate.compile("{s:*<5}").format(Map.of("s", "ab")));
        assertEquals("\"it's\"", PathTemplate.compile("{s!r}").format(Map.of("s", "it's")));
        assertEquals("'h\\xe9'", PathTemplate.compile("{s!a}").format(Map.of("s", "hé")));
        assertEquals("😀😀", PathTemplate.compile("{s:.2}").format(Map.of("s", "😀😀😀")));
    }

    @Test
    void nestedSpecIsExpandedFromTheValues() {
        assertEquals("  7", PathTemplate.compile("{epoch:{width}}").format(Map.of("epoch", 7, "width", 3)));
    }

    @Test
    void nestedSpecWithoutItsValueIsAMissingField() {
        TemplateFormatException e = assertThrows(TemplateFormatException.class,
                () -> PathTemplate.compile("{epoch:{width}}").format(Map.of("epoch", 7)));
        assertEquals("width", e.missingField());
    }

    @Test
    void firstFieldFromTheLeftDecidesTheError() {
        TemplateFormatException e = assertThrows(TemplateFormatException.class,
                () -> PathTemplate.compile("{val_loss:d}{missing}").format(Map.of("val_loss", 0.5)));
        assertNull(e.missingField());
    }

    @Test
    void checkTypesAcceptsFloatSpecsForIntegersAsPythonConverts() {
        assertDoesNotThrow(() -> PathTemplate.compile("e{epoch:.2f}-{epoch:%}-{loss:.3e}")
                .checkTypes(Map.of("epoch", FieldType.INT, "loss", FieldType.FLOAT)));
    }

    @Test
    void checkTypesRefusesIntegerSpecForAFloat() {
        TemplateFormatException e = assertThrows(TemplateFormatException.class,
                () -> PathTemplate.compile("{val_loss:x}").checkTypes(Map.of("val_loss", FieldType.FLOAT)));
        assertNull(e.missingField());
    }

    @Test
    void checkTypesIgnoresFieldsItIsNotTold() {
        assertDoesNotThrow(() -> PathTemplate.compile("{val_loss:d}").checkTypes(Map.of("epoch", FieldType.INT)));
    }

    @Test
    void checkTypesJudgesAConversionAsAString() {
        assertDoesNotThrow(() -> PathTemplate.compile("{loss!r:>12}").checkTypes(Map.of("loss", FieldType.FLOAT)));
        assertThrows(TemplateFormatException.class,
                () -> PathTemplate.compile("{loss:>12s}").checkTypes(Map.of("loss", FieldType.FLOAT)));
    }

    @Test
    void checkTypesRefusesStringSpecsThatNeedNumbers() {
        assertThrows(TemplateFormatException.class,
                () -> PathTemplate.compile("{run:+}").checkTypes(Map.of("run", FieldType.STRING)));
    }
}

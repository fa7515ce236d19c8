package dev.ckpt.core.template;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Which templates compile() refuses, and where each refusal points. */
class TemplateSyntaxTest {

    @ParameterizedTest(name = "{0} -> column {1}")
    @CsvSource(delimiter = '|', value = {
            "}|1",
            "ab}cd|3",
            "{|1",
            "ab{|3",
            "{epoch|1",
            "{epoch:02d|1",
            "{epoch!r|1",
            "{epoch!|1",
            "x{}|2",
            "x{:d}|2",
            "x{!r}|2",
            "{0}|1",
            "{12:d}|1",
            "{epoch.real}|1",
            "{epoch[0]}|1",
            "{epoch[0}|1",
            "{epoch!z}|8",
            "{epoch!rr}|9",
            "{a{b}|3",
            "{loss:q}|7",
            "{loss:02q}|9",
            "{loss:.}|7",
            "{loss:,,}|8",
            "{loss:_,}|8",
            "{loss:ab}|7",
            "{loss:+c}|7",
            "{loss:.2c}|7",
            "{loss:#s}|7",
            "{loss:,s}|7",
            "{loss:99999999999999999999}|7",
            "{loss:9999999999}|7",
            "é/{loss:q}|9",
            "😀{loss:q}|8",
            "ok/{epoch}/{loss:{w:{x}}}|21",
    })
    void refusedWithTemplateAndColumn(String template, int column) {
        TemplateSyntaxException e = assertThrows(TemplateSyntaxException.class, () -> PathTemplate.compile(template));
        assertEquals(column, e.column(), e.getMessage());
        assertTrue(e.getMessage().contains("\"" + template + "\""), e.getMessage());
        assertTrue(e.getMessage().contains("at column " + column), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "", "runs/x/best", "{{epoch}}", "}}{{", "{epoch}", "{epoch:}", "{epoch!r}", "{epoch!s:>10}", "{epoch!a}",
            "{val_loss:.2f}", "{epoch:,}", "{x:_x}", "{x:%}", "{x:c}", "{x:s}", "{x:=+#012_.3f}", "{x:😀^+z#012,.3e}",
            "{x:{w}}", "{x:>{w}.{p}f}", "{a b}", "{1a}", "{-1}", "{x:٣}", "{x:n}",
    })
    void accepted(String template) {
        assertDoesNotThrow(() -> PathTemplate.compile(template));
    }
}

package dev.ckpt.core.template;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Replays golden vectors produced by CPython 3.11's {@code str.format}: the bundled
 * {@code conformance/format-vectors.jsonl}, or the file named by {@code CKPT_FORMAT_VECTORS}; plus
 * {@code conformance/format-vectors-extra.jsonl}, made by {@code format-vectors-extra.py} beside it
 * (same format, also {@code str} values). An error row passes when ckpt refuses with a
 * {@link TemplateException} naming the template: Unsupported at compile time, KeyError as a
 * {@link TemplateFormatException} naming the missing field.
 */
class FormatConformanceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void everyGoldenVectorFormatsExactlyAsCPython() throws IOException {
        String override = System.getenv("CKPT_FORMAT_VECTORS");
        List<String> lines = override != null && !override.isBlank()
                ? Files.readAllLines(Path.of(override), StandardCharsets.UTF_8)
                : resourceLines("/conformance/format-vectors.jsonl");
        Result result = replay(lines);
        System.out.println("format conformance: " + result.passed + " passed, " + result.failed.size() + " failed");
        assertTrue(result.passed > 0, "no vectors were replayed");
        if (!result.failed.isEmpty()) {
            fail(result.failed.size() + " of " + (result.passed + result.failed.size()) + " vectors mismatch; first ones:\n"
                    + String.join("\n", result.failed.subList(0, Math.min(20, result.failed.size()))));
        }
    }

    @Test
    void extraVectorsGeneratedWithCPythonAlsoMatch() throws IOException {
        Result result = replay(resourceLines("/conformance/format-vectors-extra.jsonl"));
        assertTrue(result.passed > 0, "no extra vectors were replayed");
        if (!result.failed.isEmpty()) {
            fail(result.failed.size() + " extra vectors mismatch; first ones:\n"
                    + String.join("\n", result.failed.subList(0, Math.min(20, result.failed.size()))));
        }
    }

    static final class Result {
        int passed;
        final List<String> failed = new ArrayList<>();
    }

    static List<String> resourceLines(String name) throws IOException {
        List<String> lines = new ArrayList<>();
        try (InputStream in = FormatConformanceTest.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("test resource " + name + " is missing");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                lines.add(line);
            }
        }
        return lines;
    }

    static Result replay(List<String> lines) throws IOException {
        Result result = new Result();
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            JsonNode row = JSON.readTree(line);
            String problem = check(row);
            if (problem == null) {
                result.passed++;
            } else {
                result.failed.add(problem);
            }
        }
        return result;
    }

    static Map<String, Object> values(JsonNode row) {
        Map<String, Object> values = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = row.get("values").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            String type = v.get("type").asText();
            if (type.equals("int")) {
                values.put(e.getKey(), Long.parseLong(v.get("value").asText()));
            } else if (type.equals("str")) {
                values.put(e.getKey(), v.get("value").asText());
            } else {
                values.put(e.getKey(), parseDouble(v.get("hex").asText()));
            }
        }
        return values;
    }

    static double parseDouble(String hex) {
        switch (hex) {
            case "nan": return Double.NaN;
            case "inf": return Double.POSITIVE_INFINITY;
            case "-inf": return Double.NEGATIVE_INFINITY;
            default: return Double.parseDouble(hex);
        }
    }

    /** Null when the row passes, else a description of the mismatch. */
    static String check(JsonNode row) {
        String template = row.get("template").asText();
        Map<String, Object> values = values(row);
        String where = "template " + JSON.valueToTree(template) + " values " + row.get("values");
        String expectedError = row.hasNonNull("error") ? row.get("error").asText() : null;
        PathTemplate compiled;
        try {
            compiled = PathTemplate.compile(template);
        } catch (TemplateSyntaxException e) {
            if (expectedError == null) {
                return where + "\n    expected " + JSON.valueToTree(row.get("expect").asText()) + "\n    got compile error: " + e.getMessage();
            }
            if (expectedError.equals("KeyError")) {
                return where + "\n    expected KeyError\n    got compile error: " + e.getMessage();
            }
            return e.getMessage().contains(template) ? null : where + "\n    error message lacks the template: " + e.getMessage();
        }
        if ("Unsupported".equals(expectedError)) {
            return where + "\n    expected a compile-time refusal (Unsupported), but compile() accepted it";
        }
        String got;
        try {
            got = compiled.format(values);
        } catch (TemplateFormatException e) {
            if (expectedError == null) {
                return where + "\n    expected " + JSON.valueToTree(row.get("expect").asText()) + "\n    got error: " + e.getMessage();
            }
            if (expectedError.equals("KeyError") && e.missingField() == null) {
                return where + "\n    expected KeyError\n    got error without missing field: " + e.getMessage();
            }
            if (!expectedError.equals("KeyError") && e.missingField() != null) {
                return where + "\n    expected " + expectedError + "\n    got missing field: " + e.getMessage();
            }
            return e.getMessage().contains(template) ? null : where + "\n    error message lacks the template: " + e.getMessage();
        }
        if (expectedError != null) {
            return where + "\n    expected " + expectedError + "\n    got " + JSON.valueToTree(got);
        }
        String expected = row.get("expect").asText();
        return expected.equals(got) ? null
                : where + "\n    expected " + JSON.valueToTree(expected) + "\n    got      " + JSON.valueToTree(got);
    }
}

package dev.ckpt.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays the Keras decision vectors (or the files named by {@code CKPT_KERAS_SCENARIOS}, separated by
 * {@code :}) through the engine: every save (event and exact path), every missing-monitor skip and
 * every error must match.
 */
class KerasScenarioConformanceTest {
    private static final int SHOWN = 20;

    @Test
    void everyScenarioDecidesAsExpected() {
        List<KerasScenarios.Scenario> scenarios = KerasScenarios.load();
        List<String> mismatches = new ArrayList<>();
        int passed = 0;
        for (KerasScenarios.Scenario s : scenarios) {
            KerasScenarios.Outcome expected = KerasScenarios.Outcome.expected(s.node().get("expect"));
            KerasScenarios.Outcome got = replaySafely(s);
            if (expected.equals(got)) {
                passed++;
            } else {
                mismatches.add(s.id() + " (" + s.source() + ")\n  policy:   " + s.node().get("policy")
                        + "\n  expected: " + expected + "\n  got:      " + got);
            }
        }
        System.out.println("keras conformance: " + passed + " passed, " + mismatches.size() + " failed");
        assertTrue(scenarios.size() > 0, "no scenarios were read");
        assertTrue(mismatches.isEmpty(), mismatches.size() + " scenarios differ; first ones:\n"
                + String.join("\n", mismatches.subList(0, Math.min(SHOWN, mismatches.size()))));
    }

    @TestFactory
    Stream<DynamicTest> eachScenarioByName() {
        return KerasScenarios.load().stream().map(s -> DynamicTest.dynamicTest(
                s.id() + (s.node().has("quirk") ? " [" + s.node().get("quirk").asText() + "]" : ""),
                () -> assertEquals(KerasScenarios.Outcome.expected(s.node().get("expect")), replaySafely(s))));
    }

    private static KerasScenarios.Outcome replaySafely(KerasScenarios.Scenario s) {
        try {
            return KerasScenarios.replay(s.node());
        } catch (RuntimeException e) {
            return new KerasScenarios.Outcome("unexpected " + e, null, List.of(), List.of());
        }
    }
}

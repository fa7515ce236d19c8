package dev.ckpt.core.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays the Keras decision vectors (or the files named by {@code CKPT_KERAS_SCENARIOS}, separated by
 * {@code :}) through the engine, once each, as one named test per scenario: every save (event and exact
 * path), every missing-monitor skip and every error must match. Prints {@code keras conformance: N passed,
 * M failed}.
 */
class KerasScenarioConformanceTest {
    private static final AtomicInteger PASSED = new AtomicInteger();
    private static final AtomicInteger FAILED = new AtomicInteger();

    @TestFactory
    Stream<DynamicTest> eachScenarioDecidesAsKerasDoes() {
        List<KerasScenarios.Scenario> scenarios = KerasScenarios.load();
        assertTrue(scenarios.size() > 0, "no scenarios were read");
        return scenarios.stream().map(s -> DynamicTest.dynamicTest(
                s.id() + (s.node().has("quirk") ? " [" + s.node().get("quirk").asText() + "]" : ""), () -> {
                    KerasScenarios.Outcome expected = KerasScenarios.Outcome.expected(s.node().get("expect"));
                    KerasScenarios.Outcome got = replaySafely(s);
                    (expected.equals(got) ? PASSED : FAILED).incrementAndGet();
                    assertEquals(expected, got, s.id() + " (" + s.source() + ")\n  policy: " + s.node().get("policy"));
                }));
    }

    @AfterAll
    static void summary() {
        System.out.println("keras conformance: " + PASSED.get() + " passed, " + FAILED.get() + " failed");
    }

    private static KerasScenarios.Outcome replaySafely(KerasScenarios.Scenario s) {
        try {
            return KerasScenarios.replay(s.node());
        } catch (RuntimeException e) {
            return new KerasScenarios.Outcome("unexpected " + e, null, List.of(), List.of());
        }
    }
}

package dev.ckpt.core.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class MetricDirectionsTest {

    @ParameterizedTest(name = "{0} is {1}")
    @CsvSource({
        "accuracy, MAX",
        "acc, MAX",
        "binary_accuracy, MAX",
        "sparse_categorical_accuracy, MAX",
        "auc, MAX",
        "precision, MAX",
        "recall, MAX",
        "mae, MIN",
        "mse, MIN",
        "mean_squared_error, MIN",
        "binary_crossentropy, MIN",
        "categorical_crossentropy, MIN",
        "sparse_categorical_crossentropy, MIN",
        "loss, MIN",
    })
    void builtInTableKnowsTheStandardMetrics(String name, Direction expected) {
        assertEquals(Optional.of(expected), MetricDirections.builtIn().lookup(name));
    }

    @ParameterizedTest(name = "suffix: {0} is {1}")
    @CsvSource({
        "my_accuracy, MAX",
        "top5_acc, MAX",
        "reconstruction_error, MIN",
        "focal_crossentropy, MIN",
        "aux_loss, MIN",
    })
    void builtInTableKnowsUnambiguousSuffixes(String name, Direction expected) {
        assertEquals(Optional.of(expected), MetricDirections.builtIn().lookup(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"my_score", "dice", "f2", "lr", ""})
    void anUnknownNameHasNoDirection(String name) {
        assertEquals(Optional.empty(), MetricDirections.builtIn().lookup(name));
    }

    @Test
    void anExplicitDirectionWinsOverTheBuiltInTable() {
        MetricDirections d = MetricDirections.builtIn().with(Map.of("accuracy", Direction.MIN));
        assertEquals(Optional.of(Direction.MIN), d.lookup("accuracy"));
    }

    @Test
    void anExplicitDirectionAddsAName() {
        MetricDirections d = MetricDirections.builtIn().with(Map.of("dice", Direction.MAX));
        assertEquals(Optional.of(Direction.MAX), d.lookup("dice"));
        assertEquals(Optional.of(Direction.MAX), d.lookup("accuracy"), "the table still applies");
    }

    @Test
    void noneKnowsOnlyWhatIsAdded() {
        assertEquals(Optional.empty(), MetricDirections.none().lookup("accuracy"));
        assertFalse(MetricDirections.none().usesBuiltIn());
        assertEquals(Optional.of(Direction.MAX),
                MetricDirections.none().with(Map.of("accuracy", Direction.MAX)).lookup("accuracy"));
    }

    @Test
    void withReturnsACopyAndLeavesTheOriginalUnchanged() {
        MetricDirections base = MetricDirections.none();
        base.with(Map.of("dice", Direction.MAX));
        assertEquals(Optional.empty(), base.lookup("dice"));
        assertTrue(base.explicit().isEmpty());
    }

    @Test
    void equalTablesAreEqual() {
        assertEquals(MetricDirections.builtIn().with(Map.of("dice", Direction.MAX)),
                MetricDirections.builtIn().with(Map.of("dice", Direction.MAX)));
        assertEquals(MetricDirections.builtIn().with(Map.of("dice", Direction.MAX)).hashCode(),
                MetricDirections.builtIn().with(Map.of("dice", Direction.MAX)).hashCode());
        assertNotEquals(MetricDirections.builtIn(), MetricDirections.none());
    }
}

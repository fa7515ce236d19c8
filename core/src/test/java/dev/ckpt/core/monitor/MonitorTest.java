package dev.ckpt.core.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ckpt.core.CheckpointConfigException;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MonitorTest {

    @ParameterizedTest(name = "AUTO resolves {0} to {1}")
    @CsvSource({
        "loss, MIN",
        "val_loss, MIN",
        "accuracy, MAX",
        "val_accuracy, MAX",
        "val_auc, MAX",
        "mae, MIN",
        "val_categorical_crossentropy, MIN",
    })
    void autoResolvesKnownMetricsAsKeras3Does(String metric, Direction expected) {
        assertEquals(expected, Monitor.resolve(metric, Mode.AUTO, 0.0, MetricDirections.builtIn()).direction());
    }

    @Test
    void autoTreatsLossAsMinimisedEvenWithoutATable() {
        assertEquals(Direction.MIN, Monitor.resolve("val_loss", Mode.AUTO, 0.0, MetricDirections.none()).direction());
    }

    @Test
    void autoStripsOnlyTheValPrefixBeforeLookingUp() {
        MetricDirections d = MetricDirections.none().with(Map.of("dice", Direction.MAX));
        assertEquals(Direction.MAX, Monitor.resolve("val_dice", Mode.AUTO, 0.0, d).direction());
    }

    @Test
    void autoRefusesAMetricItCannotPlace() {
        CheckpointConfigException e = assertThrows(CheckpointConfigException.class,
                () -> Monitor.resolve("val_my_score", Mode.AUTO, 0.0, MetricDirections.builtIn()));
        assertEquals("mode", e.option());
    }

    @Test
    void explicitModeWinsOverTheMetricName() {
        assertEquals(Direction.MAX, Monitor.resolve("val_loss", Mode.MAX, 0.0, MetricDirections.builtIn()).direction());
        assertEquals(Direction.MIN, Monitor.resolve("val_my_score", Mode.MIN, 0.0, MetricDirections.none()).direction());
    }

    @Test
    void anEqualValueDoesNotImprove() {
        assertFalse(new Monitor("loss", Direction.MIN, 0.0).improves(0.5, 0.5));
        assertFalse(new Monitor("acc", Direction.MAX, 0.0).improves(0.5, 0.5));
    }

    @Test
    void minDeltaMustBeExceededNotMerelyMet() {
        Monitor m = new Monitor("loss", Direction.MIN, 0.25);
        assertFalse(m.improves(0.75, 1.0), "beats by exactly 0.25");
        assertTrue(m.improves(0.5, 1.0), "beats by 0.5");
        assertFalse(m.improves(0.875, 1.0), "beats by 0.125");
    }

    @Test
    void minDeltaAppliesTowardsTheBetterSideForMax() {
        Monitor m = new Monitor("acc", Direction.MAX, 0.25);
        assertFalse(m.improves(1.25, 1.0));
        assertTrue(m.improves(1.5, 1.0));
    }

    @Test
    void nanNeverBecomesBestEvenWhenNothingIsBestYet() {
        assertFalse(new Monitor("loss", Direction.MIN, 0.0).improves(Double.NaN, null));
    }

    @Test
    void anyNumberBeatsNoBestYet() {
        assertTrue(new Monitor("loss", Direction.MIN, 0.0).improves(Double.POSITIVE_INFINITY, null));
    }

    @Test
    void nanAsBestIsBeatenByNothing() {
        assertFalse(new Monitor("loss", Direction.MIN, 0.0).improves(0.1, Double.NaN));
    }

    @Test
    void minDeltaMustBeFiniteAndNotNegative() {
        for (double bad : new double[] {-0.1, Double.NaN, Double.POSITIVE_INFINITY}) {
            CheckpointConfigException e = assertThrows(CheckpointConfigException.class,
                    () -> new Monitor("loss", Direction.MIN, bad));
            assertEquals("minDelta", e.option());
        }
    }

    @Test
    void anEmptyMonitorIsReportedAsTheMonitorEvenUnderAuto() {
        CheckpointConfigException e = assertThrows(CheckpointConfigException.class,
                () -> Monitor.resolve("", Mode.AUTO, 0.0, MetricDirections.builtIn()));
        assertEquals("monitor", e.option());
    }

    @Test
    void directionWorstIsBeatenByEveryRealValue() {
        assertTrue(Direction.MIN.isBetter(Double.MAX_VALUE, Direction.MIN.worst()));
        assertTrue(Direction.MAX.isBetter(-Double.MAX_VALUE, Direction.MAX.worst()));
        assertEquals(Mode.MIN, Direction.MIN.asMode());
        assertEquals(Mode.MAX, Direction.MAX.asMode());
    }
}

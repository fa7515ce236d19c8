package dev.ckpt.core.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Improvement is a strict order per direction, and NaN never takes part in it. */
class MonitorPropertiesTest {

    private static Monitor monitor(Direction direction, double minDelta) {
        return new Monitor("m", direction, minDelta);
    }

    @Provide
    Arbitrary<Double> values() {
        return Arbitraries.oneOf(
                Arbitraries.doubles().between(-10, 10),
                Arbitraries.longs().map(Double::longBitsToDouble).filter(d -> !Double.isNaN(d)),
                Arbitraries.of(0.0, -0.0, 1.0, 0.1, 0.2, 0.30000000000000004, Double.MAX_VALUE, -Double.MAX_VALUE,
                        Double.MIN_VALUE, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY));
    }

    @Provide
    Arbitrary<Double> anyBest() {
        return Arbitraries.oneOf(values(), Arbitraries.just(Double.NaN));
    }

    @Provide
    Arbitrary<Double> positiveDeltas() {
        return Arbitraries.oneOf(Arbitraries.doubles().between(0, 5).ofScale(6).filter(d -> d > 0),
                Arbitraries.of(0.1, 0.2, 1e-300, Double.MIN_VALUE, 1e300));
    }

    @Property(tries = 500)
    void aValueNeverImprovesOnItself(@ForAll Direction direction, @ForAll("values") double x) {
        assertFalse(monitor(direction, 0.0).improves(x, x));
    }

    @Property(tries = 1000)
    void improvementIsAsymmetric(@ForAll Direction direction, @ForAll("values") double a,
                                 @ForAll("values") double b) {
        Monitor m = monitor(direction, 0.0);
        assertFalse(m.improves(a, b) && m.improves(b, a), a + " and " + b + " both improve on each other");
    }

    @Property(tries = 1000)
    void improvementIsTransitive(@ForAll Direction direction, @ForAll("values") double x,
                                 @ForAll("values") double y, @ForAll("values") double z) {
        // Order the triple best first, so that the premise holds unless two values are equal.
        double[] sorted = {x, y, z};
        Arrays.sort(sorted);
        double a = direction == Direction.MIN ? sorted[0] : sorted[2];
        double b = sorted[1];
        double c = direction == Direction.MIN ? sorted[2] : sorted[0];
        Monitor m = monitor(direction, 0.0);
        Assume.that(m.improves(a, b) && m.improves(b, c));
        assertTrue(m.improves(a, c), a + " > " + b + " > " + c + " but not " + a + " > " + c);
    }

    @Property(tries = 1000)
    void withZeroDeltaImprovementIsStrictComparison(@ForAll Direction direction, @ForAll("values") double a,
                                                    @ForAll("values") double b) {
        boolean expected = direction == Direction.MIN ? a < b : a > b;
        assertEquals(expected, monitor(direction, 0.0).improves(a, b));
    }

    @Provide
    Arbitrary<Double> dyadicValues() {
        // multiples of 1/1024 below 2^20: sums and differences of these are exact in double arithmetic
        return Arbitraries.oneOf(Arbitraries.longs().between(-(1L << 30), 1L << 30).map(n -> n / 1024.0),
                Arbitraries.of(Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY));
    }

    @Provide
    Arbitrary<Double> dyadicDeltas() {
        return Arbitraries.longs().between(1, 1L << 20).map(n -> n / 1024.0);
    }

    @Property(tries = 2000)
    void withPositiveDeltaImprovesExactlyWhenItBeatsByMoreThanDelta(
            @ForAll Direction direction, @ForAll("dyadicValues") double current, @ForAll("dyadicValues") double best,
            @ForAll("dyadicDeltas") double delta) {
        assertEquals(beatsByMoreThan(direction, current, best, delta), monitor(direction, delta).improves(current, best),
                () -> direction + ": current=" + current + " best=" + best + " delta=" + delta);
    }

    @Property(tries = 2000)
    void beatingByExactlyDeltaIsNotEnoughButMoreIs(@ForAll Direction direction,
                                                    @ForAll("dyadicValues") double best,
                                                    @ForAll("dyadicDeltas") double delta) {
        Assume.that(Double.isFinite(best));
        double sign = direction == Direction.MIN ? -1 : 1;
        Monitor m = monitor(direction, delta);
        assertFalse(m.improves(best + sign * delta, best), "beating by exactly delta is not enough");
        assertTrue(m.improves(best + sign * (delta + 1 / 1024.0), best), "beating by more than delta improves");
    }

    @Property(tries = 2000)
    void roundingNeverTurnsANonImprovementIntoAnImprovement(
            @ForAll Direction direction, @ForAll("values") double current, @ForAll("values") double best,
            @ForAll("positiveDeltas") double delta) {
        // Keras compares in double arithmetic; rounding may only ever withhold an improvement, never invent one.
        if (monitor(direction, delta).improves(current, best)) {
            assertTrue(beatsByMoreThan(direction, current, best, delta),
                    () -> direction + ": current=" + current + " best=" + best + " delta=" + delta);
        }
    }

    @Property(tries = 1000)
    void aLargerDeltaNeverAcceptsWhatASmallerOneRefuses(
            @ForAll Direction direction, @ForAll("values") double current, @ForAll("values") double best,
            @ForAll("positiveDeltas") double d1, @ForAll("positiveDeltas") double d2) {
        double small = Math.min(d1, d2);
        double large = Math.max(d1, d2);
        if (monitor(direction, large).improves(current, best)) {
            assertTrue(monitor(direction, small).improves(current, best));
            assertTrue(monitor(direction, 0.0).improves(current, best));
        }
    }

    @Property(tries = 500)
    void nanNeverImproves(@ForAll Direction direction, @ForAll("anyBest") double best,
                          @ForAll("positiveDeltas") double delta) {
        assertFalse(monitor(direction, 0.0).improves(Double.NaN, best));
        assertFalse(monitor(direction, delta).improves(Double.NaN, best));
        assertFalse(monitor(direction, delta).improves(Double.NaN, null));
    }

    @Property(tries = 500)
    void anyNumberImprovesOnNoBestYet(@ForAll Direction direction, @ForAll("values") double current,
                                      @ForAll("positiveDeltas") double delta) {
        assertTrue(monitor(direction, 0.0).improves(current, null));
        assertTrue(monitor(direction, delta).improves(current, null));
    }

    /** The exact real-number reading of "beats best by more than delta", with infinities as limits. */
    private static boolean beatsByMoreThan(Direction direction, double current, double best, double delta) {
        double better = direction == Direction.MIN ? best : current;
        double worse = direction == Direction.MIN ? current : best;
        if (Double.isInfinite(better) || Double.isInfinite(worse)) {
            // the margin is infinite exactly when the two differ and the better one is on the better side
            return better != worse && (better == Double.POSITIVE_INFINITY || worse == Double.NEGATIVE_INFINITY);
        }
        return new BigDecimal(better).subtract(new BigDecimal(worse)).compareTo(new BigDecimal(delta)) > 0;
    }
}

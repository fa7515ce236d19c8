package dev.ckpt.core.monitor;

/**
 * The resolved direction of a monitored metric: which way is an improvement.
 *
 * <pre>{@code
 * Direction.MIN.isBetter(0.2, 0.3);   // true
 * Direction.MAX.isBetter(0.2, 0.3);   // false
 * }</pre>
 *
 * <p>Comparisons are strict and NaN is never better than anything, nor is anything better than NaN.
 * A direction knows no margin: {@link Monitor} adds {@code minDelta}.
 */
public enum Direction {
    /** Lower values are better. */
    MIN,
    /** Higher values are better. */
    MAX;

    /** Whether {@code candidate} is strictly better than {@code reference} in this direction. */
    public boolean isBetter(double candidate, double reference) {
        return this == MIN ? candidate < reference : candidate > reference;
    }

    /** The value every real value improves on: {@code +inf} for MIN, {@code -inf} for MAX. */
    public double worst() {
        return this == MIN ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
    }

    /** The mode that forces this direction. */
    public Mode asMode() {
        return this == MIN ? Mode.MIN : Mode.MAX;
    }
}

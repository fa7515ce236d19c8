package dev.ckpt.core.monitor;

import dev.ckpt.core.CheckpointConfigException;
import java.util.Objects;

/**
 * A monitored metric with its resolved direction and minimum improvement: decides whether a value is
 * a new best.
 *
 * <pre>{@code
 * Monitor m = Monitor.resolve("val_loss", Mode.AUTO, 0.0, MetricDirections.builtIn());
 * m.improves(0.30, null);   // true: nothing to beat yet
 * m.improves(0.30, 0.25);   // false
 * m.improves(Double.NaN, null);  // false: NaN never becomes best
 * }</pre>
 *
 * <p>As in Keras, an improvement is strict and must exceed {@code minDelta}: for MIN,
 * {@code current + minDelta < best}; for MAX, {@code current - minDelta > best}, computed in double
 * arithmetic as Keras does (rounding can only withhold an improvement whose margin is within an ulp of
 * {@code minDelta}, never invent one). Unlike Keras, NaN never improves, so one diverged epoch cannot
 * become a best that nothing can beat.
 *
 * <p>It holds no state: the best value so far is the caller's (see {@code CheckpointEngine}).
 *
 * @param metric    the metric name as logged, e.g. {@code val_accuracy}
 * @param direction which way is better
 * @param minDelta  the margin an improvement must exceed, finite and {@code >= 0}
 */
public record Monitor(String metric, Direction direction, double minDelta) {
    private static final String VAL_PREFIX = "val_";

    /** Validates the components. */
    public Monitor {
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(direction, "direction");
        if (metric.isEmpty()) {
            throw emptyMonitor();
        }
        if (!(minDelta >= 0) || Double.isInfinite(minDelta)) {
            throw new CheckpointConfigException("minDelta",
                    "minDelta: needs a finite value >= 0, got " + minDelta);
        }
    }

    /**
     * Resolves {@code mode} for {@code metric}. AUTO follows Keras 3: a {@code val_} prefix is removed,
     * {@code loss} is minimised, other names are looked up in {@code directions}.
     *
     * @throws CheckpointConfigException when AUTO cannot tell the direction
     */
    public static Monitor resolve(String metric, Mode mode, double minDelta, MetricDirections directions) {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(directions, "directions");
        Objects.requireNonNull(metric, "monitor");
        if (metric.isEmpty()) {
            throw emptyMonitor(); // before AUTO, so that the error names the monitor, not the mode
        }
        Direction direction = switch (mode) {
            case MIN -> Direction.MIN;
            case MAX -> Direction.MAX;
            case AUTO -> infer(metric, directions);
        };
        return new Monitor(metric, direction, minDelta);
    }

    private static CheckpointConfigException emptyMonitor() {
        return new CheckpointConfigException("monitor", "monitor: needs a metric name such as val_loss, got \"\"");
    }

    private static Direction infer(String metric, MetricDirections directions) {
        String base = metric.startsWith(VAL_PREFIX) ? metric.substring(VAL_PREFIX.length()) : metric;
        if (base.equals("loss")) {
            return Direction.MIN;
        }
        return directions.lookup(base).orElseThrow(() -> new CheckpointConfigException("mode",
                "mode: AUTO cannot tell whether monitor '" + metric + "' should be minimised or maximised; "
                        + "set mode = MIN or mode = MAX, or declare '" + base + "' in metricDirections"));
    }

    /**
     * Whether {@code current} is a new best compared with {@code best} ({@code null}: nothing yet).
     * NaN never improves.
     */
    public boolean improves(double current, Double best) {
        if (Double.isNaN(current)) {
            return false;
        }
        if (best == null) {
            return true;
        }
        double shifted = direction == Direction.MIN ? current + minDelta : current - minDelta;
        return direction.isBetter(shifted, best);
    }
}

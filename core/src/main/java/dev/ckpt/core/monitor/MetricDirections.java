package dev.ckpt.core.monitor;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Which direction each metric improves in, used by {@link Mode#AUTO}.
 *
 * <pre>{@code
 * MetricDirections d = MetricDirections.builtIn().with(Map.of("dice", Direction.MAX));
 * d.lookup("val_accuracy".substring(4));   // Optional[MAX]
 * d.lookup("dice");                        // Optional[MAX]
 * d.lookup("my_score");                    // Optional.empty: set mode explicitly
 * }</pre>
 *
 * <p>Names given with {@link #with} win over the built-in table. The built-in table knows Keras's and
 * KotlinDL's standard metrics by name, and a few unambiguous suffixes ({@code accuracy}, {@code _acc}
 * are maximised; {@code _error}, {@code crossentropy}, {@code _loss} minimised). It does not guess
 * beyond that: an unknown name stays unknown so that the policy asks for an explicit mode.
 */
public final class MetricDirections {
    private static final Map<String, Direction> KNOWN = knownTable();
    private static final List<String> MAX_SUFFIXES = List.of("accuracy", "_acc");
    private static final List<String> MIN_SUFFIXES = List.of("_error", "crossentropy", "_loss");
    private static final MetricDirections NONE = new MetricDirections(Map.of(), false);
    private static final MetricDirections BUILT_IN = new MetricDirections(Map.of(), true);

    private final Map<String, Direction> explicit;
    private final boolean useBuiltIn;

    private MetricDirections(Map<String, Direction> explicit, boolean useBuiltIn) {
        this.explicit = Map.copyOf(explicit);
        this.useBuiltIn = useBuiltIn;
    }

    /** ckpt's table of well-known metric names (the default for policies). */
    public static MetricDirections builtIn() {
        return BUILT_IN;
    }

    /** No names at all: only what {@link #with} adds (and the {@code loss} rule of AUTO) is known. */
    public static MetricDirections none() {
        return NONE;
    }

    /** A copy that also knows {@code directions}, which take precedence over the built-in table. */
    public MetricDirections with(Map<String, Direction> directions) {
        Objects.requireNonNull(directions, "directions");
        Map<String, Direction> merged = new LinkedHashMap<>(explicit);
        directions.forEach((name, direction) -> merged.put(
                Objects.requireNonNull(name, "metric name"), Objects.requireNonNull(direction, "direction of " + name)));
        return new MetricDirections(merged, useBuiltIn);
    }

    /** Whether the built-in table is consulted. */
    public boolean usesBuiltIn() {
        return useBuiltIn;
    }

    /** The directions given explicitly with {@link #with}. */
    public Map<String, Direction> explicit() {
        return explicit;
    }

    /** The direction of a metric named {@code name} (without a {@code val_} prefix), if known. */
    public Optional<Direction> lookup(String name) {
        Direction direction = explicit.get(name);
        if (direction != null || !useBuiltIn) {
            return Optional.ofNullable(direction);
        }
        direction = KNOWN.get(name);
        if (direction != null) {
            return Optional.of(direction);
        }
        for (String suffix : MAX_SUFFIXES) {
            if (name.endsWith(suffix)) {
                return Optional.of(Direction.MAX);
            }
        }
        for (String suffix : MIN_SUFFIXES) {
            if (name.endsWith(suffix)) {
                return Optional.of(Direction.MIN);
            }
        }
        return Optional.empty();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MetricDirections && ((MetricDirections) o).useBuiltIn == useBuiltIn
                && ((MetricDirections) o).explicit.equals(explicit);
    }

    @Override
    public int hashCode() {
        return explicit.hashCode() * 31 + Boolean.hashCode(useBuiltIn);
    }

    @Override
    public String toString() {
        return "MetricDirections[builtIn=" + useBuiltIn + ", explicit=" + explicit + "]";
    }

    private static Map<String, Direction> knownTable() {
        Map<String, Direction> t = new LinkedHashMap<>();
        for (String up : List.of("acc", "accuracy", "binary_accuracy", "categorical_accuracy",
                "sparse_categorical_accuracy", "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
                "auc", "prc", "precision", "recall", "f1_score", "fbeta_score", "iou", "mean_iou", "binary_iou",
                "one_hot_iou", "one_hot_mean_iou", "r2_score", "cosine_similarity", "precision_at_recall",
                "recall_at_precision", "sensitivity_at_specificity", "specificity_at_sensitivity",
                "true_positives", "true_negatives")) {
            t.put(up, Direction.MAX);
        }
        for (String down : List.of("loss", "mae", "mse", "mape", "msle", "rmse", "mean_absolute_error",
                "mean_squared_error", "mean_absolute_percentage_error", "mean_squared_logarithmic_error",
                "root_mean_squared_error", "binary_crossentropy", "categorical_crossentropy",
                "sparse_categorical_crossentropy", "binary_focal_crossentropy", "categorical_focal_crossentropy",
                "kl_divergence", "kld", "kullback_leibler_divergence", "poisson", "hinge", "squared_hinge",
                "categorical_hinge", "log_cosh_error", "logcosh", "huber", "false_positives", "false_negatives")) {
            t.put(down, Direction.MIN);
        }
        return Map.copyOf(t);
    }
}

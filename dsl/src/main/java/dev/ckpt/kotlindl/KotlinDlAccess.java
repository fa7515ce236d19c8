package dev.ckpt.kotlindl;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel;
import org.jetbrains.kotlinx.dl.api.core.TrainableModel;
import org.jetbrains.kotlinx.dl.api.core.callback.Callback;
import org.jetbrains.kotlinx.dl.api.core.metric.Metric;

/**
 * The one place that reaches past KotlinDL 0.4.0's public Kotlin API. Kotlin {@code internal} members
 * compile to public JVM members, which Java source can see: {@code Callback.model} is such a field.
 * The compiled metrics are a protected getter, read reflectively.
 *
 * <p>Everything here is tied to KotlinDL 0.4.0's bytecode; a KotlinDL upgrade starts by checking this
 * class. It does not modify the model.
 */
public final class KotlinDlAccess {
    private KotlinDlAccess() {
    }

    /**
     * The model a callback was attached to by {@code fit}.
     *
     * @throws IllegalStateException if the callback is not (yet) attached to a model
     */
    public static GraphTrainableModel modelOf(Callback callback) {
        GraphTrainableModel model = callback.model;
        if (model == null) {
            throw new IllegalStateException("the checkpoint callback is not attached to a model: "
                    + "pass it to model.fit(..., callbacks = listOf(callback))");
        }
        return model;
    }

    /**
     * The names of the model's compiled metrics in compile order, as ckpt logs them: KotlinDL's
     * {@code Metrics.ACCURACY} is {@code accuracy}, {@code MAE} is {@code mae}; a custom metric class
     * {@code TopTwoAccuracy} is {@code top_two_accuracy}.
     */
    public static List<String> metricNames(TrainableModel model) {
        List<String> names = new ArrayList<>();
        for (Metric metric : compiledMetrics(model)) {
            names.add(metricName(metric.getClass().getSimpleName()));
        }
        return names;
    }

    /**
     * Loads weights (and optimizer state) saved in KotlinDL's layout into {@code model}, also when the
     * model's variables are already initialized: KotlinDL's {@code loadWeights} refuses an initialized
     * model, which is exactly the state a model is in when {@code fit} calls {@code onTrainBegin}. The
     * loaded values replace the initial ones, so clearing the flag first is safe.
     */
    public static void loadWeights(GraphTrainableModel model, java.io.File directory, boolean withOptimizer) {
        model.setModelInitialized$api(false);
        model.loadWeights(directory, withOptimizer);
    }

    /** {@code TopTwoAccuracy} -> {@code top_two_accuracy}; {@code MAE} -> {@code mae}. */
    static String metricName(String className) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < className.length(); i++) {
            char c = className.charAt(i);
            boolean boundary = i > 0 && Character.isUpperCase(c)
                    && (Character.isLowerCase(className.charAt(i - 1))
                    || (i + 1 < className.length() && Character.isLowerCase(className.charAt(i + 1))
                    && Character.isUpperCase(className.charAt(i - 1))));
            if (boundary) {
                out.append('_');
            }
            out.append(c);
        }
        return out.toString().toLowerCase(Locale.ROOT);
    }

    @SuppressWarnings("unchecked")
    private static List<Metric> compiledMetrics(TrainableModel model) {
        try {
            Method getter = TrainableModel.class.getDeclaredMethod("getMetrics");
            getter.setAccessible(true);
            Object value = getter.invoke(model);
            return value == null ? List.of() : (List<Metric>) value;
        } catch (NoSuchMethodException | IllegalAccessException e) {
            throw new IllegalStateException("cannot read the compiled metrics of " + model.getClass().getName()
                    + "; ckpt supports KotlinDL 0.4.0", e);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("reading the compiled metrics failed: " + e.getCause(), e.getCause());
        }
    }
}

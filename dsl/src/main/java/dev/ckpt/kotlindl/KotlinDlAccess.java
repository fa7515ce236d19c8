package dev.ckpt.kotlindl;

import com.beust.klaxon.JsonObject;
import com.beust.klaxon.Klaxon;
import java.io.StringReader;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import kotlin.jvm.JvmClassMappingKt;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import org.jetbrains.kotlinx.dl.api.core.Functional;
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel;
import org.jetbrains.kotlinx.dl.api.core.TrainableModel;
import org.jetbrains.kotlinx.dl.api.core.metric.Metric;
import org.jetbrains.kotlinx.dl.api.core.Sequential;
import org.jetbrains.kotlinx.dl.api.core.callback.Callback;
import org.jetbrains.kotlinx.dl.api.core.layer.KVariable;
import org.jetbrains.kotlinx.dl.api.core.layer.ParametrizedLayerKt;
import org.jetbrains.kotlinx.dl.api.inference.keras.ModelLoaderKt;
import org.jetbrains.kotlinx.dl.api.inference.keras.ModelSaverKt;
import org.jetbrains.kotlinx.dl.api.inference.keras.PaddingConverter;
import org.jetbrains.kotlinx.dl.api.inference.keras.config.KerasModel;
import org.jetbrains.kotlinx.dl.dataset.DataBatch;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.Tensor;
import org.tensorflow.op.core.Variable;

/**
 * The only place in ckpt that touches KotlinDL 0.4.0 internals.
 *
 * <pre>{@code
 * GraphTrainableModel model = KotlinDlAccess.modelOf(callback);
 * List<VariableValue> values = KotlinDlAccess.readVariables(model, true);
 * }</pre>
 *
 * <p>KotlinDL declares the callback's model, the TensorFlow session and graph, the per-layer variable
 * list, the model-state flags and the JSON (de)serialization of the model configuration {@code internal}.
 * Kotlin code in another module cannot see them, but they compile to public JVM members, which Java
 * source can call. Keeping every such call here means a KotlinDL upgrade breaks one file.
 *
 * <p>It does no file I/O and no formatting: it reads and assigns variable values, and converts the model
 * configuration to and from its JSON text. It supports models whose variables are all {@code float}, as
 * every KotlinDL 0.4.0 layer's are.
 */
final class KotlinDlAccess {
    // KotlinDL's naming conventions for variables it assigns through the graph (nameConventions.kt).
    private static final String INIT_PREFIX = "Init_";
    private static final String ASSIGN_PREFIX = "Assign_";

    // Klaxon caches reflection data per instance; a fresh instance per save costs tens of milliseconds.
    // Klaxon does not document thread safety, hence the lock.
    private static final Klaxon KLAXON = new Klaxon().converter(new PaddingConverter());

    private KotlinDlAccess() {
    }

    /**
     * The model a callback is bound to; KotlinDL binds it at the start of {@code fit}.
     *
     * @throws IllegalStateException before the callback has been passed to {@code fit}
     */
    static GraphTrainableModel modelOf(Callback callback) {
        // Read the field, not the getter: the getter throws Kotlin's lateinit error, which says nothing useful.
        GraphTrainableModel model = callback.model;
        if (model == null) {
            throw new IllegalStateException("callback " + callback.getClass().getName()
                    + " is not bound to a model yet; KotlinDL binds it when fit() starts");
        }
        return model;
    }

    /** TensorFlow names of the layers' variables (trainable and frozen), in the order KotlinDL saves them. */
    static List<String> layerVariableNames(GraphTrainableModel model) {
        List<String> names = new ArrayList<>();
        for (KVariable v : layerVariables(model)) {
            names.add(v.getVariable().op().name());
        }
        return Collections.unmodifiableList(names);
    }

    /** TensorFlow names of the optimizer's variables (slots, Adam's beta powers...), in KotlinDL's order. */
    static List<String> optimizerVariableNames(GraphTrainableModel model) {
        List<String> names = new ArrayList<>();
        for (Variable<Float> v : model.kGraph().optimizerVariables()) {
            names.add(v.op().name());
        }
        return Collections.unmodifiableList(names);
    }

    /** Static shape of a variable as the graph declares it, or {@code null} if the graph has no such operation. */
    static long[] declaredShape(GraphTrainableModel model, String variableName) {
        var op = graph(model).operation(variableName);
        if (op == null) {
            return null;
        }
        var shape = op.output(0).shape();
        long[] dims = new long[shape.numDimensions()];
        for (int i = 0; i < dims.length; i++) {
            dims[i] = shape.size(i);
        }
        return dims;
    }

    /**
     * Reads every layer variable and, when asked, every optimizer variable, in one session run so the
     * values are a consistent snapshot.
     *
     * @throws IllegalStateException if the model has no values yet (not compiled, not initialized, or,
     *                               for optimizer state, never trained nor loaded with optimizer state)
     */
    static List<VariableValue> readVariables(GraphTrainableModel model, boolean includeOptimizer) {
        return readVariables(model, includeOptimizer, new long[2]);
    }

    /**
     * As {@link #readVariables(GraphTrainableModel, boolean)}, and stores the nanoseconds the session run took in
     * {@code phaseNanos[0]} and those of copying its tensors into host buffers in {@code phaseNanos[1]}.
     */
    static List<VariableValue> readVariables(GraphTrainableModel model, boolean includeOptimizer, long[] phaseNanos) {
        return readVariables(model, includeOptimizer, phaseNanos, null);
    }

    /**
     * As {@link #readVariables(GraphTrainableModel, boolean, long[])}, copying into {@code lease}'s arrays (the
     * previous snapshot's, once released) instead of new ones when {@code lease} is not null.
     */
    static List<VariableValue> readVariables(GraphTrainableModel model, boolean includeOptimizer, long[] phaseNanos,
                                             SnapshotBuffers.Lease lease) {
        requireReadable(model, includeOptimizer);
        List<Operand<Float>> variables = new ArrayList<>();
        for (KVariable v : layerVariables(model)) {
            variables.add(v.getVariable());
        }
        if (includeOptimizer) {
            variables.addAll(model.kGraph().optimizerVariables());
        }
        Session.Runner runner = session(model).runner();
        for (Operand<Float> v : variables) {
            runner.fetch(v);
        }
        long started = System.nanoTime();
        List<Tensor<?>> tensors = runner.run();
        long ran = System.nanoTime();
        phaseNanos[0] = ran - started;
        List<VariableValue> values = new ArrayList<>(variables.size());
        try {
            for (int i = 0; i < variables.size(); i++) {
                Tensor<?> t = tensors.get(i);
                long[] shape = t.shape();
                int size = Math.toIntExact(VariableValue.elementCount(shape));
                FloatBuffer data = lease == null ? FloatBuffer.allocate(size) : FloatBuffer.wrap(lease.array(i, size));
                t.writeTo(data);
                data.flip();
                values.add(new VariableValue(variables.get(i).asOutput().op().name(), shape, data, lease));
            }
        } finally {
            for (Tensor<?> t : tensors) {
                t.close();
            }
            phaseNanos[1] = System.nanoTime() - ran;
        }
        return Collections.unmodifiableList(values);
    }

    /**
     * Assigns values to variables in one session run, then marks the model initialized (and its
     * optimizer state initialized when {@code optimizerStateLoaded}), as KotlinDL's own loader does.
     * The caller has already checked names and shapes against the model.
     */
    static void assignVariables(GraphTrainableModel model, List<VariableValue> values, boolean optimizerStateLoaded) {
        Map<String, KVariable> layerVars = new LinkedHashMap<>();
        for (KVariable v : layerVariables(model)) {
            layerVars.put(v.getVariable().op().name(), v);
        }
        Graph graph = graph(model);
        Session.Runner runner = session(model).runner();
        List<Tensor<Float>> tensors = new ArrayList<>(values.size());
        try {
            for (VariableValue value : values) {
                Tensor<Float> tensor = Tensor.create(value.shape(), value.values());
                tensors.add(tensor);
                KVariable layerVar = layerVars.get(value.name());
                if (layerVar != null) {
                    runner.feed(layerVar.getInitializerOperation().getInitialValue(), tensor);
                    runner.addTarget(layerVar.getInitializerOperation().getAssign());
                } else {
                    String init = INIT_PREFIX + value.name();
                    String assign = ASSIGN_PREFIX + value.name();
                    if (graph.operation(init) == null || graph.operation(assign) == null) {
                        throw new IllegalStateException("variable " + value.name() + " has no '" + init + "'/'" + assign
                                + "' operations in the graph, so it cannot be assigned the way KotlinDL loads it");
                    }
                    runner.feed(init, tensor);
                    runner.addTarget(assign);
                }
            }
            if (!values.isEmpty()) {
                runner.run();
            }
        } finally {
            for (Tensor<Float> t : tensors) {
                t.close();
            }
        }
        model.setModelInitialized$api(true);
        if (optimizerStateLoaded) {
            model.setOptimizerVariableInitialized$api(true);
        }
    }

    static boolean isCompiled(GraphTrainableModel model) {
        return model.isModelCompiled();
    }

    static boolean isInitialized(GraphTrainableModel model) {
        return model.isModelInitialized();
    }

    /** The model configuration as the exact JSON text KotlinDL's {@code saveModelConfiguration} writes. */
    static String modelConfigJson(GraphTrainableModel model) {
        KerasModel config = ModelSaverKt.serializeModel(model, false);
        synchronized (KLAXON) {
            return KLAXON.toJsonString(config, null);
        }
    }

    /**
     * An uncompiled {@link Sequential} built from configuration JSON, as
     * {@code Sequential.loadModelConfiguration} builds it from a file.
     *
     * @throws IllegalArgumentException if the text is not a KotlinDL/Keras model configuration
     */
    static Sequential sequentialFromConfigJson(String json) {
        return ModelLoaderKt.deserializeSequentialModel(parseConfig(json), null);
    }

    /**
     * An uncompiled {@link Functional} built from configuration JSON, as
     * {@code Functional.loadModelConfiguration} builds it from a file (KotlinDL's loader parses the same
     * {@link KerasModel} and hands it to {@code deserializeFunctionalModel}, which wires the layers by their
     * inbound nodes and sorts them topologically).
     *
     * @throws IllegalArgumentException if the text is not a KotlinDL/Keras model configuration
     */
    static Functional functionalFromConfigJson(String json) {
        return ModelLoaderKt.deserializeFunctionalModel(parseConfig(json), null);
    }

    /**
     * A batch of {@code size} examples for {@code Dataset.createDataBatch}, whose constructor KotlinDL declares
     * {@code internal}: a dataset subclass outside KotlinDL cannot build one otherwise.
     */
    static DataBatch dataBatch(float[][] x, float[] y, int size) {
        return new DataBatch(x, y, size);
    }

    private static KerasModel parseConfig(String json) {
        Klaxon klaxon = new Klaxon().converter(new PaddingConverter());
        KerasModel config;
        try {
            JsonObject object = klaxon.parseJsonObject(new StringReader(json));
            config = (KerasModel) klaxon.fromJsonObject(object, KerasModel.class,
                    JvmClassMappingKt.getKotlinClass(KerasModel.class));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("model configuration is not valid KotlinDL JSON: " + e.getMessage(), e);
        }
        if (config == null || config.getConfig() == null || config.getConfig().getLayers() == null
                || config.getConfig().getLayers().isEmpty()) {
            throw new IllegalArgumentException("model configuration has no layers");
        }
        return config;
    }

    private static void requireReadable(GraphTrainableModel model, boolean includeOptimizer) {
        if (!model.isModelCompiled()) {
            throw new IllegalStateException("model " + model.getName() + " is not compiled; compile() it before saving");
        }
        if (!model.isModelInitialized()) {
            throw new IllegalStateException("model " + model.getName()
                    + " has no weights yet; call init(), fit() or loadWeights() before saving");
        }
        if (includeOptimizer && !model.isOptimizerVariableInitialized()) {
            throw new IllegalStateException("model " + model.getName()
                    + " has no optimizer state yet (it starts with fit()); save weights only, or train first");
        }
    }

    private static List<KVariable> layerVariables(GraphTrainableModel model) {
        return ParametrizedLayerKt.variables(model.getLayers());
    }

    private static Session session(GraphTrainableModel model) {
        return model.session;
    }

    private static Graph graph(GraphTrainableModel model) {
        return model.kGraph().getTfGraph$api();
    }

    /**
     * The names of the model's compiled metrics in compile order, as ckpt logs them: KotlinDL's
     * {@code Metrics.ACCURACY} is {@code accuracy}, {@code MAE} is {@code mae}; a custom metric class
     * {@code TopTwoAccuracy} is {@code top_two_accuracy}. KotlinDL keeps them behind a protected getter.
     */
    static List<String> metricNames(TrainableModel model) {
        List<String> names = new ArrayList<>();
        for (Metric metric : compiledMetrics(model)) {
            names.add(metricName(metric.getClass().getSimpleName()));
        }
        return names;
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

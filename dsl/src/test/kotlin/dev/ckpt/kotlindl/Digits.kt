package dev.ckpt.kotlindl

import org.jetbrains.kotlinx.dl.api.core.Functional
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.activation.Activations
import org.jetbrains.kotlinx.dl.api.core.initializer.GlorotUniform
import org.jetbrains.kotlinx.dl.api.core.initializer.HeNormal
import org.jetbrains.kotlinx.dl.api.core.initializer.Zeros
import org.jetbrains.kotlinx.dl.api.core.layer.core.Dense
import org.jetbrains.kotlinx.dl.api.core.layer.core.Input
import org.jetbrains.kotlinx.dl.api.core.layer.merge.Add
import org.jetbrains.kotlinx.dl.api.core.loss.Losses
import org.jetbrains.kotlinx.dl.api.core.metric.Metrics
import org.jetbrains.kotlinx.dl.api.core.optimizer.Adam
import org.jetbrains.kotlinx.dl.dataset.OnHeapDataset
import java.util.zip.GZIPInputStream

/** The UCI digits set (test resource `digits.csv.gz`), split 80/20 with a fixed seed. */
object Digits {
    const val SPLIT_SEED: Long = 20240601L
    const val BATCH_SIZE: Int = 32

    private val rows: List<Pair<FloatArray, Float>> by lazy {
        val stream = requireNotNull(Digits::class.java.getResourceAsStream("/digits.csv.gz")) { "digits.csv.gz missing" }
        GZIPInputStream(stream).bufferedReader().useLines { lines ->
            lines.filter { it.isNotBlank() }.map { line ->
                val cells = line.split(',')
                check(cells.size == 65) { "digits row has ${cells.size} cells" }
                FloatArray(64) { cells[it].toFloat() / 16f } to cells[64].toFloat()
            }.toList()
        }
    }

    private val split: Pair<List<Pair<FloatArray, Float>>, List<Pair<FloatArray, Float>>> by lazy {
        val shuffled = rows.shuffled(java.util.Random(SPLIT_SEED))
        val nTrain = shuffled.size * 4 / 5
        shuffled.take(nTrain) to shuffled.drop(nTrain)
    }

    val rowCount: Int get() = rows.size

    // KotlinDL's predictSoftly(Dataset) needs a batch size that divides the dataset size.
    private val predictBatchSize: Int by lazy { (64 downTo 1).first { split.second.size % it == 0 } }

    /** Fresh dataset objects each call: KotlinDL datasets carry no state we rely on, but this keeps tests independent. */
    fun train(): OnHeapDataset = dataset(split.first)

    fun validation(): OnHeapDataset = dataset(split.second)

    private fun dataset(part: List<Pair<FloatArray, Float>>): OnHeapDataset =
        OnHeapDataset.create(Array(part.size) { part[it].first.copyOf() }, FloatArray(part.size) { part[it].second })

    /**
     * Input(64) -> Dense(32, relu) -> Dense(10) with softmax: KotlinDL applies the softmax in the
     * softmax-cross-entropy loss and in its prediction op, so the last layer itself is linear.
     */
    fun newModel(hidden: Int = 32): Sequential = Sequential.of(
        Input(64, name = "pixels"),
        Dense(hidden, Activations.Relu, kernelInitializer = HeNormal(seed = 7L), biasInitializer = Zeros(), name = "hidden"),
        Dense(10, Activations.Linear, kernelInitializer = GlorotUniform(seed = 11L), biasInitializer = Zeros(), name = "output"),
    )

    /**
     * A Functional model with a skip connection: Input(64) -> Dense(32, relu) "hidden" -> Dense(32, relu) "deeper",
     * then Add(hidden, deeper) -> Dense(10) "output". "hidden" feeds both the deeper layer and the sum, which a
     * Sequential model cannot express.
     */
    fun newFunctionalModel(): Functional {
        val pixels = Input(64, name = "pixels")
        val hidden = Dense(32, Activations.Relu, kernelInitializer = HeNormal(seed = 7L), biasInitializer = Zeros(), name = "hidden")(pixels)
        val deeper = Dense(32, Activations.Relu, kernelInitializer = HeNormal(seed = 13L), biasInitializer = Zeros(), name = "deeper")(hidden)
        val sum = Add(name = "skip")(hidden, deeper)
        val output = Dense(10, Activations.Linear, kernelInitializer = GlorotUniform(seed = 11L), biasInitializer = Zeros(), name = "output")(sum)
        return Functional.fromOutput(output)
    }

    fun compile(model: GraphTrainableModel) {
        model.compile(Adam(learningRate = 0.01f), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY)
    }

    /** [compile], then an [InlineSession], for tests that compare training runs (see [TrainingDeterminism]). */
    fun compileDeterministic(model: GraphTrainableModel) {
        compile(model)
        InlineSession.install(model)
    }

    fun newCompiledModel(hidden: Int = 32): Sequential = newModel(hidden).also(::compile)

    fun trainedModel(epochs: Int): Sequential = newCompiledModel().also { it.fit(train(), epochs, BATCH_SIZE) }

    /** Softmax outputs on the validation split, as raw float bits so comparisons are exact. */
    fun predictionBits(model: GraphTrainableModel): List<List<Int>> =
        model.predictSoftly(validation(), predictBatchSize).map { row -> row.map { java.lang.Float.floatToRawIntBits(it) } }

    fun accuracy(model: GraphTrainableModel): Double = model.evaluate(validation(), BATCH_SIZE).metrics[Metrics.ACCURACY]!!
}

/** One model trained for two epochs, shared by the specs so TensorFlow trains it once per test run. */
object TrainedDigits {
    val model: Sequential by lazy { Digits.trainedModel(epochs = 2) }
}

/** Every variable's name and raw float bits, for exact comparisons of two models' states. */
fun variableBits(model: GraphTrainableModel, includeOptimizer: Boolean): Map<String, List<Int>> =
    KotlinDlAccess.readVariables(model, includeOptimizer).associate { v ->
        val buf = v.values()
        v.name() to List(v.size()) { java.lang.Float.floatToRawIntBits(buf.get(it)) }
    }

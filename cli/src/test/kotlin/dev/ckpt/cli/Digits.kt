package dev.ckpt.cli

import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.activation.Activations
import org.jetbrains.kotlinx.dl.api.core.initializer.GlorotUniform
import org.jetbrains.kotlinx.dl.api.core.initializer.HeNormal
import org.jetbrains.kotlinx.dl.api.core.initializer.Zeros
import org.jetbrains.kotlinx.dl.api.core.layer.core.Dense
import org.jetbrains.kotlinx.dl.api.core.layer.core.Input
import org.jetbrains.kotlinx.dl.api.core.loss.Losses
import org.jetbrains.kotlinx.dl.api.core.metric.Metrics
import org.jetbrains.kotlinx.dl.api.core.optimizer.Adam
import org.jetbrains.kotlinx.dl.dataset.OnHeapDataset
import java.util.zip.GZIPInputStream

/**
 * The UCI digits (test resource `digits.csv.gz`, see `digits-README.md`) split 80/20, and a small classifier: what the
 * specs train briefly to make real runs. The cli module keeps its own copy so that it needs no test code of another
 * module (a test-jar would break `mvn -pl samples -am compile exec:exec`).
 */
object Digits {
    const val BATCH_SIZE: Int = 32

    private val split: Pair<List<Pair<FloatArray, Float>>, List<Pair<FloatArray, Float>>> by lazy {
        val stream = requireNotNull(Digits::class.java.getResourceAsStream("/digits.csv.gz")) { "digits.csv.gz missing" }
        val rows = GZIPInputStream(stream).bufferedReader().useLines { lines ->
            lines.filter { it.isNotBlank() }.map { line ->
                val cells = line.split(',')
                FloatArray(64) { cells[it].toFloat() / 16f } to cells[64].toFloat()
            }.toList()
        }
        val shuffled = rows.shuffled(java.util.Random(20240601L))
        shuffled.take(shuffled.size * 4 / 5) to shuffled.drop(shuffled.size * 4 / 5)
    }

    fun train(): OnHeapDataset = dataset(split.first)

    fun validation(): OnHeapDataset = dataset(split.second)

    private fun dataset(part: List<Pair<FloatArray, Float>>): OnHeapDataset =
        OnHeapDataset.create(Array(part.size) { part[it].first.copyOf() }, FloatArray(part.size) { part[it].second })

    /** Input(64) -> Dense(32, relu) -> Dense(10), compiled with Adam and softmax cross-entropy. */
    fun newCompiledModel(): Sequential = Sequential.of(
        Input(64, name = "pixels"),
        Dense(32, Activations.Relu, kernelInitializer = HeNormal(seed = 7L), biasInitializer = Zeros(), name = "hidden"),
        Dense(10, Activations.Linear, kernelInitializer = GlorotUniform(seed = 11L), biasInitializer = Zeros(), name = "output"),
    ).also { it.compile(Adam(learningRate = 0.01f), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY) }
}

package dev.ckpt

import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.activation.Activations
import org.jetbrains.kotlinx.dl.api.core.initializer.GlorotUniform
import org.jetbrains.kotlinx.dl.api.core.initializer.Zeros
import org.jetbrains.kotlinx.dl.api.core.layer.core.Dense
import org.jetbrains.kotlinx.dl.api.core.layer.core.Input
import org.jetbrains.kotlinx.dl.api.core.loss.Losses
import org.jetbrains.kotlinx.dl.api.core.metric.Metrics
import org.jetbrains.kotlinx.dl.api.core.optimizer.Adam
import org.jetbrains.kotlinx.dl.dataset.OnHeapDataset
import java.util.zip.GZIPInputStream
import kotlin.random.Random

/** The bundled UCI digits, split 80/20 with a fixed seed, and the small MLP the tests train. */
internal object Fixtures {
    val digits: Pair<OnHeapDataset, OnHeapDataset> by lazy { load() }

    fun model(): Sequential = Sequential.of(
        Input(64, name = "pixels"),
        Dense(32, Activations.Relu, kernelInitializer = GlorotUniform(seed = 7), biasInitializer = Zeros(), name = "hidden"),
        Dense(10, Activations.Linear, kernelInitializer = GlorotUniform(seed = 11), biasInitializer = Zeros(), name = "logits"),
    )

    fun compiled(): Sequential = model().also { compile(it) }

    fun compile(model: Sequential) {
        model.compile(Adam(learningRate = 0.01f), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY)
    }

    private fun load(): Pair<OnHeapDataset, OnHeapDataset> {
        val rows = GZIPInputStream(Fixtures::class.java.getResourceAsStream("/digits.csv.gz")!!).bufferedReader().useLines { lines ->
            lines.filter { it.isNotBlank() }.map { line -> line.split(',').map { it.trim().toFloat() } }.toList()
        }
        val order = rows.indices.shuffled(Random(42))
        val cut = rows.size - rows.size / 5
        fun take(indices: List<Int>) = OnHeapDataset.create(
            Array(indices.size) { i -> FloatArray(64) { rows[indices[i]][it] / 16f } },
            FloatArray(indices.size) { rows[indices[it]][64] },
        )
        return take(order.subList(0, cut)) to take(order.subList(cut, rows.size))
    }
}

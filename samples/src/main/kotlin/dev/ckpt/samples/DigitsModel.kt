package dev.ckpt.samples

import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.activation.Activations
import org.jetbrains.kotlinx.dl.api.core.initializer.GlorotUniform
import org.jetbrains.kotlinx.dl.api.core.initializer.Zeros
import org.jetbrains.kotlinx.dl.api.core.layer.core.Dense
import org.jetbrains.kotlinx.dl.api.core.layer.core.Input
import org.jetbrains.kotlinx.dl.api.core.loss.Losses
import org.jetbrains.kotlinx.dl.api.core.metric.Metrics
import org.jetbrains.kotlinx.dl.api.core.optimizer.Adam

/**
 * The samples' classifier: 64 pixels -> 32 ReLU units -> 10 logits, seeded so that runs repeat.
 *
 * ```kotlin
 * DigitsModel.create().use { model -> DigitsModel.compile(model); model.fit(...) }
 * ```
 */
public object DigitsModel {
    /** A new, uncompiled model. */
    @JvmStatic
    public fun create(): Sequential = Sequential.of(
        Input(64, name = "pixels"),
        Dense(32, Activations.Relu, kernelInitializer = GlorotUniform(seed = 7), biasInitializer = Zeros(), name = "hidden"),
        // Logits: the softmax lives in the loss.
        Dense(10, Activations.Linear, kernelInitializer = GlorotUniform(seed = 11), biasInitializer = Zeros(), name = "logits"),
    )

    /** Compiles [model] with Adam and softmax cross-entropy, tracking accuracy; any KotlinDL model class. */
    @JvmStatic
    public fun compile(model: GraphTrainableModel) {
        model.compile(Adam(learningRate = 0.01f), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY)
    }

    /** Accuracy of [model] on [data], evaluated in batches of [EVAL_BATCH] as during training. */
    @JvmStatic
    public fun accuracy(model: GraphTrainableModel, data: org.jetbrains.kotlinx.dl.dataset.Dataset): Double =
        model.evaluate(data, EVAL_BATCH).metrics.getValue(Metrics.ACCURACY)

    /** Validation batch size used in training and evaluation alike, so accuracies compare exactly. */
    public const val EVAL_BATCH: Int = 64

    /** Training batch size. */
    public const val TRAIN_BATCH: Int = 32
}

// Trains a small classifier on the bundled UCI digits and prints its validation accuracy.
// Run: mvn -B -q -pl samples -am compile exec:java -Dexec.mainClass=dev.ckpt.samples.RunScript \
//        -Dexec.args=samples/src/main/scripts/digits.ckpt.kts
import dev.ckpt.samples.Digits
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.activation.Activations
import org.jetbrains.kotlinx.dl.api.core.layer.core.Dense
import org.jetbrains.kotlinx.dl.api.core.layer.core.Input
import org.jetbrains.kotlinx.dl.api.core.loss.Losses
import org.jetbrains.kotlinx.dl.api.core.metric.Metrics
import org.jetbrains.kotlinx.dl.api.core.optimizer.Adam

val (train, validation) = Digits.load().split()

// The last layer emits logits: the softmax lives in the loss.
Sequential.of(
    Input(64),
    Dense(32, Activations.Relu),
    Dense(10, Activations.Linear),
).use { model ->
    model.compile(optimizer = Adam(learningRate = 0.01f), loss = Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, metric = Metrics.ACCURACY)
    model.fit(trainingDataset = train, validationDataset = validation, epochs = 3, trainBatchSize = 16)
    val accuracy = model.evaluate(dataset = validation, batchSize = 100).metrics.getValue(Metrics.ACCURACY)
    println("validation accuracy: %.4f".format(accuracy))
}

// Declares a checkpoint policy, trains the digits classifier, and restores the best checkpoint.
// Run from the repository root:
//   mvn -B -q -pl samples -am test-compile exec:exec -Dexec.classpathScope=test -Dexec.mainClass=dev.ckpt.samples.RunScript \
//       -Dsample.args=samples/src/main/scripts/digits.ckpt.kts
import dev.ckpt.Checkpoints
import dev.ckpt.checkpoint
import dev.ckpt.samples.Digits
import dev.ckpt.samples.DigitsModel
import dev.ckpt.samples.SampleRuns
import java.nio.file.Path

val (train, validation) = Digits.load().split()
val runDirectory = Path.of("runs/script-digits")
SampleRuns.clear(runDirectory)

val saver = checkpoint("$runDirectory/e{epoch:02d}-loss{val_loss:.4f}") {
    monitor = "val_loss"          // AUTO knows a loss is minimised
    keepBest = 2
    verbose = true
    onMessage { println(it) }
}

DigitsModel.create().use { model ->
    DigitsModel.compile(model)
    model.fit(
        trainingDataset = train, validationDataset = validation, epochs = 4,
        trainBatchSize = DigitsModel.TRAIN_BATCH, validationBatchSize = DigitsModel.EVAL_BATCH,
        callbacks = listOf(saver),
    )
}

val best = Checkpoints.open(runDirectory).best()
val accuracy = best.loadModel(DigitsModel::compile).use { DigitsModel.accuracy(it, validation) }
println("validation accuracy: %.4f (best checkpoint ${best.path}, epoch ${best.epoch})".format(accuracy))

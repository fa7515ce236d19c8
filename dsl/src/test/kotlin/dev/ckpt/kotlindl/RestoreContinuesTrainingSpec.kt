package dev.ckpt.kotlindl

import dev.ckpt.CheckpointKind
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.doubles.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import org.jetbrains.kotlinx.dl.api.core.Sequential
import java.nio.file.Files
import java.nio.file.Path

/**
 * The native-format reader and writer restore everything training needs: 2 epochs, a full checkpoint, a freshly built
 * model restored from it (three ways), 2 more epochs — against 4 epochs straight.
 *
 * Exact on every machine: the restored model holds bit for bit the saved weights and Adam state (slots and both beta
 * powers: KotlinDL never advances the beta powers, they stay at beta1^2 and beta2^2 and are saved like the slots).
 * Whether the 2 further epochs then equal the straight run's bit for bit is TensorFlow's business: it holds only
 * inline and for the first ~90 steps of a session ([TrainingDeterminism]), so each session here stays at 60 steps
 * (batch 96, 15 steps per epoch) and a control run decides between a bitwise and a bounded comparison.
 */
class RestoreContinuesTrainingSpec : FunSpec({
    val batch = 96
    val valLosses = HashMap<Sequential, MutableList<Double>>()
    val models = mutableListOf<Sequential>()
    afterSpec { models.forEach(Sequential::close) }
    fun Sequential.tracked(): Sequential = also { models += it }
    fun Sequential.train(epochs: Int): Sequential = also {
        val losses = TrainingDeterminism.ValLosses()
        it.fit(Digits.train(), Digits.validation(), epochs, batch, 64, listOf(losses, TrainingDeterminism.StepLimit()))
        valLosses.getOrPut(it) { ArrayList() } += losses.values
    }
    fun freshModel(): Sequential = Digits.newModel().also(Digits::compileDeterministic).tracked()
    fun layers(model: Sequential) = variableBits(model, includeOptimizer = false)

    val firstHalf = freshModel().train(epochs = 2)
    val saved = variableBits(firstHalf, includeOptimizer = true)
    val checkpoint: Path = Files.createDirectory(tempdir().toPath().resolve("e02")).also {
        NativeFormatWriter.write(firstHalf, it, CheckpointKind.FULL)
    }
    val straight = freshModel().train(epochs = 4)
    val control = freshModel().train(epochs = 4)

    fun assertContinues(label: String, resumed: Sequential) {
        variableBits(resumed, includeOptimizer = true) shouldBe saved
        resumed.train(epochs = 2)
        TrainingDeterminism.assertSameTraining(
            "RestoreContinuesTrainingSpec ($label)",
            straight = TrainingDeterminism.Trained(layers(straight), valLosses.getValue(straight)),
            control = TrainingDeterminism.Trained(layers(control), valLosses.getValue(control)),
            resumed = TrainingDeterminism.Trained(layers(resumed), valLosses.getValue(firstHalf) + valLosses.getValue(resumed)),
        )
    }

    test("ckpt's reader into a freshly built model restores every variable exactly, and training continues as if never stopped") {
        val resumed = freshModel()
        NativeFormatReader.loadWeightsInto(resumed, DirectoryFiles(checkpoint), true)
        assertContinues("reader into a fresh model", resumed)
    }

    test("ckpt's loadModel rebuilds the model from its configuration, restores every variable exactly, and training continues") {
        assertContinues("loadModel", NativeFormatReader.loadModel(DirectoryFiles(checkpoint), ModelType.SequentialModel, true, Digits::compileDeterministic).tracked())
    }

    test("KotlinDL's own loaders restore every variable of ckpt's checkpoint exactly, and training continues") {
        val resumed = Sequential.loadDefaultModelConfiguration(checkpoint.toFile()).tracked()
        Digits.compileDeterministic(resumed)
        resumed.loadWeights(checkpoint.toFile(), true)
        assertContinues("KotlinDL's loaders", resumed)
    }

    test("without the optimizer state the continued training ends measurably elsewhere, so the above depends on restoring it") {
        val resumed = NativeFormatReader.loadModel(DirectoryFiles(checkpoint), ModelType.SequentialModel, false, Digits::compileDeterministic).tracked()
        layers(resumed) shouldBe layers(firstHalf)
        resumed.train(epochs = 2)
        val distance = TrainingDeterminism.relativeL2(layers(straight), layers(resumed))
        println("RestoreContinuesTrainingSpec: without the optimizer state the weights end $distance (relative L2) from the straight run")
        distance shouldBeGreaterThan TrainingDeterminism.RELATIVE_L2_BOUND
    }
})

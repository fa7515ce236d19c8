package dev.ckpt.durability

import dev.ckpt.CheckpointCallback
import dev.ckpt.Checkpoints
import dev.ckpt.checkpoint
import dev.ckpt.core.engine.EngineState
import dev.ckpt.core.engine.RunCheckpoints
import dev.ckpt.kotlindl.Digits
import dev.ckpt.kotlindl.Models
import dev.ckpt.kotlindl.TrainingDeterminism
import dev.ckpt.kotlindl.variableBits
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.listDirectoryEntries
import kotlin.io.path.name

/**
 * Resuming through the callback: 6 epochs, then a new process-like start (fresh model, fresh callback,
 * `resume = true`) for 4 more, against 10 epochs straight.
 *
 * What is exact on every machine, because it is ckpt's promise: after the resume the model holds bit for bit the
 * weights and Adam state the first half saved; the engine continues with exactly the counters, best value and path
 * and kept checkpoints the first half ended with; and the numbering goes on (e07, step 63).
 *
 * What is TensorFlow's: whether training after the resume is bitwise the straight run's. KotlinDL's training is
 * bitwise repeatable only inline and only for the first ~90 steps of a session (see [TrainingDeterminism]), so every
 * session here stays at 90 steps (batch 160: 9 steps per epoch) and a control run — a second straight run — decides
 * whether the comparison is bitwise or within the measured bounds. The output line says which case applied.
 */
class ResumeEquivalenceSpec : FunSpec({
    val (train, valid) = Digits.train() to Digits.validation()
    val batch = 160

    fun saver(dir: Path, weightsOnly: Boolean = false): CheckpointCallback = checkpoint("runs/eq/e{epoch:02d}-s{step:03d}-{val_loss:.4f}") {
        monitor = "val_loss"
        keepBest = 2
        keepLast = 1
        resume = true
        saveWeightsOnly = weightsOnly
        directory = dir
    }

    /** Captures the engine and the model as ckpt's callback (listed before it) left them at train begin. */
    class EngineProbe(private val saver: CheckpointCallback) : Callback() {
        var atTrainBegin: Pair<EngineState, RunCheckpoints>? = null
        var atTrainBeginWeights: Map<String, List<Int>>? = null

        override fun onTrainBegin() {
            atTrainBegin = saver.engineView()
            val model = Models.boundTo(this)
            atTrainBeginWeights = if (model.isModelInitialized) variableBits(model as Sequential, includeOptimizer = true) else null
        }
    }

    class Half(val saver: CheckpointCallback, val probe: EngineProbe, val valLosses: List<Double>, val finalWeights: Map<String, List<Int>>)

    fun inlineModel(): Sequential = Digits.newModel().also(Digits::compileDeterministic)

    fun train(dir: Path, epochs: Int, weightsOnly: Boolean = false): Half = inlineModel().use { model ->
        val saver = saver(dir, weightsOnly)
        val probe = EngineProbe(saver)
        val losses = TrainingDeterminism.ValLosses()
        model.fit(train, valid, epochs, batch, 64, listOf(saver, probe, losses, TrainingDeterminism.StepLimit()))
        Half(saver, probe, losses.values, variableBits(model, includeOptimizer = true))
    }

    fun layerWeights(all: Map<String, List<Int>>) = all.filterKeys { !it.startsWith("optimizer") }

    val straightDir = tempdir().toPath()
    val controlDir = tempdir().toPath()
    val resumedDir = tempdir().toPath()
    val straight = train(straightDir, 10)
    val control = train(controlDir, 10)
    val first = train(resumedDir, 6)
    val second = train(resumedDir, 4)
    val straightRun = Checkpoints.open(straightDir.resolve("runs/eq"))
    val resumedRun = Checkpoints.open(resumedDir.resolve("runs/eq"))

    test("after resume the model holds exactly the weights and Adam state the first half saved, bit for bit") {
        val restored = second.probe.atTrainBeginWeights ?: error("the resumed model had no weights at train begin")
        restored.keys.filter { it.startsWith("optimizer") } shouldNotBe emptyList<String>()
        restored shouldBe first.finalWeights
    }

    test("the resumed engine starts exactly where the first half ended: counters, best value and path, kept checkpoints") {
        val (endState, endCheckpoints) = first.saver.engineView()!! // as the first half's train end left it
        val (resumedState, resumedCheckpoints) = second.probe.atTrainBegin!!
        resumedState shouldBe endState
        resumedCheckpoints shouldBe endCheckpoints
        resumedState.completedEpochs() shouldBe 6
        resumedState.globalStep() shouldBe 54L
    }

    test("the resumed run continues the numbering: its first checkpoint is epoch 7, step 63, as in the straight run") {
        fun numbering(saved: List<String>) = saved.map { it.substringAfterLast('/').take(8) }
        numbering(second.saver.saved) shouldContainExactly listOf("e07-s063", "e08-s072", "e09-s081", "e10-s090")
        numbering(second.saver.saved) shouldContainExactly numbering(straight.saver.saved).drop(6)
    }

    test("training after the resume matches the straight run: bitwise where the control run is, within bounds where not") {
        val bitwise = TrainingDeterminism.assertSameTraining(
            "ResumeEquivalenceSpec (6 + resume 4 vs 10 epochs)",
            straight = TrainingDeterminism.Trained(layerWeights(straight.finalWeights), straight.valLosses),
            control = TrainingDeterminism.Trained(layerWeights(control.finalWeights), control.valLosses),
            resumed = TrainingDeterminism.Trained(layerWeights(second.finalWeights), first.valLosses + second.valLosses),
        )
        if (bitwise) {
            first.saver.saved + second.saver.saved shouldContainExactly straight.saver.saved
            resumedRun.all.map { it.path } shouldContainExactly straightRun.all.map { it.path }
            resumedRun.best().path shouldBe straightRun.best().path
            resumedRun.best().metrics.getValue("val_loss") shouldBe straightRun.best().metrics.getValue("val_loss")
            second.finalWeights shouldBe straight.finalWeights
            fun files(run: Checkpoints): Map<String, List<Byte>> = run.latest().directory.listDirectoryEntries()
                .filter { it.name != "checkpoint.json" }.associate { it.name to Files.readAllBytes(it).toList() }
            files(resumedRun) shouldBe files(straightRun)
        } else {
            resumedRun.all.map { it.epoch } shouldContainExactly straightRun.all.map { it.epoch }
        }
    }

    test("a weights-only resume, whose Adam state restarts from zero, ends measurably elsewhere: the above needs the optimizer state") {
        val dir = tempdir().toPath()
        train(dir, 6, weightsOnly = true)
        val weightsOnly = train(dir, 4, weightsOnly = true)
        val full = TrainingDeterminism.relativeL2(layerWeights(straight.finalWeights), layerWeights(second.finalWeights))
        val restarted = TrainingDeterminism.relativeL2(layerWeights(straight.finalWeights), layerWeights(weightsOnly.finalWeights))
        println("ResumeEquivalenceSpec: relative L2 from the straight run: full resume $full, weights-only resume $restarted")
        withClue("weights-only resume vs the straight run: $restarted, expected in ${TrainingDeterminism.WEIGHTS_ONLY_RESUME_RELATIVE_L2}") {
            (restarted in TrainingDeterminism.WEIGHTS_ONLY_RESUME_RELATIVE_L2) shouldBe true
        }
    }
})

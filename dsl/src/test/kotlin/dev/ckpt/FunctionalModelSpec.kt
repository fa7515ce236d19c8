package dev.ckpt

import dev.ckpt.kotlindl.Digits
import dev.ckpt.kotlindl.variableBits
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.types.shouldBeInstanceOf
import org.jetbrains.kotlinx.dl.api.core.Functional
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.readText
import kotlin.io.path.writeText

/**
 * A Functional model with a skip connection ([Digits.newFunctionalModel]) saves through the callback, restores as a
 * Functional model, resumes, and its files are KotlinDL's own. Every comparison is restored-vs-saved: TensorFlow 1.15
 * training is not bitwise reproducible across runs, restoring is.
 */
class FunctionalModelSpec : FunSpec({
    val (train, valid) = Digits.train() to Digits.validation()
    val base = tempdir().toPath()
    fun saver(dir: Path, resume: Boolean = false): CheckpointCallback =
        checkpoint("runs/fn/e{epoch:02d}") { directory = dir; this.resume = resume }

    // Saved at each epoch end; the latest checkpoint is the trained model's final state.
    val trained = Digits.newFunctionalModel().also(Digits::compile)
    trained.fit(train, valid, 2, 32, 64, listOf(saver(base)))
    val expectedPredictions = Digits.predictionBits(trained)
    val expectedVariables = variableBits(trained, includeOptimizer = true)
    val run = Checkpoints.open(base.resolve("runs/fn"))

    val sequentialDir = tempdir().toPath()
    Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(checkpoint("runs/seq/e{epoch:02d}") { directory = sequentialDir })) }
    val sequentialRun = Checkpoints.open(sequentialDir.resolve("runs/seq"))
    afterSpec { trained.close() }

    fun copyOfRun(): Path {
        val copy = tempdir().toPath()
        base.resolve("runs").toFile().copyRecursively(copy.resolve("runs").toFile())
        return copy
    }

    test("the checkpoint records that it holds a Functional model") {
        run.latest().directory.resolve("checkpoint.json").readText() shouldContain "\"modelClass\": \"Functional\""
    }

    test("loadModel rebuilds a Functional model that predicts bitwise as the saved one, optimizer state included") {
        run.latest().loadModel(Digits::compile).use { restored ->
            restored.shouldBeInstanceOf<Functional>()
            restored.layers.map { it.name } shouldContainExactly trained.layers.map { it.name }
            Digits.predictionBits(restored) shouldBe expectedPredictions
            variableBits(restored, includeOptimizer = true) shouldBe expectedVariables
        }
    }

    test("loadFunctional returns the Functional model typed") {
        val restored: Functional = run.latest().loadFunctional(Digits::compile)
        restored.use { Digits.predictionBits(it) shouldBe expectedPredictions }
    }

    test("loadSequential on a Functional checkpoint names the saved kind and the calls that load it") {
        shouldThrow<IllegalStateException> { run.latest().loadSequential(Digits::compile) }.message shouldBe
            "loadSequential: checkpoint e02 holds a Functional model, not a Sequential one; call loadFunctional(compile), " +
            "or loadModel(compile), which returns the saved kind"
    }

    test("loadFunctional on a Sequential checkpoint names the saved kind and the calls that load it") {
        shouldThrow<IllegalStateException> { sequentialRun.latest().loadFunctional(Digits::compile) }.message shouldBe
            "loadFunctional: checkpoint e01 holds a Sequential model, not a Functional one; call loadSequential(compile), " +
            "or loadModel(compile), which returns the saved kind"
    }

    test("loadModel returns a Sequential model for a Sequential checkpoint") {
        sequentialRun.latest().loadModel(Digits::compile).use { it.shouldBeInstanceOf<Sequential>() }
    }

    test("a compiler written for Sequential serves loadSequential; a compiler of any model serves every load") {
        fun compileSequential(model: Sequential) = Digits.compile(model)
        val anyModel = ModelCompiler<GraphTrainableModel> { Digits.compile(it) }
        sequentialRun.latest().loadSequential(::compileSequential).use { it.shouldBeInstanceOf<Sequential>() }
        sequentialRun.latest().loadSequential(anyModel).use { it.shouldBeInstanceOf<Sequential>() }
        run.latest().loadFunctional(anyModel).use { it.shouldBeInstanceOf<Functional>() }
    }

    test("a model class ckpt cannot rebuild is refused, naming it and the classes it rebuilds") {
        val copy = copyOfRun()
        val manifest = copy.resolve("runs/fn/manifest.json")
        manifest.writeText(manifest.readText().replace("\"modelClass\": \"Functional\"", "\"modelClass\": \"Residual\""))
        shouldThrow<IllegalStateException> { Checkpoints.open(copy.resolve("runs/fn")).latest().loadModel(Digits::compile) }.message shouldBe
            "checkpoint e02 records model class 'Residual', which ckpt cannot rebuild (it rebuilds Sequential and Functional " +
            "models); build and compile the model in code and call loadWeightsInto(model) instead"
    }

    test("KotlinDL's own loader reads the checkpoint: Functional.loadModelConfiguration and loadWeights, bitwise") {
        val dir = run.latest().directory
        Functional.loadModelConfiguration(dir.resolve("modelConfig.json").toFile()).use { loaded ->
            Digits.compile(loaded)
            loaded.loadWeights(dir.toFile(), true)
            Digits.predictionBits(loaded) shouldBe expectedPredictions
            variableBits(loaded, includeOptimizer = true) shouldBe expectedVariables
        }
    }

    test("a resumed Functional run starts from the checkpoint's variables, optimizer state included, and continues the numbering") {
        val copy = copyOfRun()
        val latestDir = Checkpoints.open(copy.resolve("runs/fn")).latest().directory
        val inFiles = fileBits(latestDir)
        Digits.newFunctionalModel().use { model ->
            Digits.compile(model)
            var atTrainBegin: Map<String, List<Int>>? = null
            // Runs after the checkpoint callback's onTrainBegin, which restores, and before the first batch.
            val probe = object : Callback() {
                override fun onTrainBegin() {
                    atTrainBegin = variableBits(model, includeOptimizer = true)
                }
            }
            val resumed = saver(copy, resume = true)
            model.fit(train, valid, 1, 32, 64, listOf(resumed, probe))
            atTrainBegin shouldBe inFiles
            resumed.saved shouldContainExactly listOf("runs/fn/e03")
        }
        val after = Checkpoints.open(copy.resolve("runs/fn"))
        after.all.map { it.path } shouldContainExactly listOf("e01", "e02", "e03")
        after.latest().step shouldBe 3 * after.all.first().step
        after.latest().loadModel(Digits::compile).use { it.shouldBeInstanceOf<Functional>() }
    }
})

/** Every variable a checkpoint directory's files hold, as raw float bits, read without ckpt's reader. */
internal fun fileBits(dir: Path): Map<String, List<Int>> =
    Files.readAllLines(dir.resolve("variableNames.txt")).filter { it.isNotEmpty() }.associateWith { name ->
        dir.resolve("$name.txt").readText().split(' ').filter { it.isNotEmpty() }.map { java.lang.Float.floatToRawIntBits(it.toFloat()) }
    }

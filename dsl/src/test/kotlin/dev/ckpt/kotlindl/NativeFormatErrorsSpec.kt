package dev.ckpt.kotlindl

import dev.ckpt.CheckpointKind
import dev.ckpt.ModelCompiler

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.shouldBe
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.activation.Activations
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.layer.core.Dense
import org.jetbrains.kotlinx.dl.api.core.layer.core.Input
import java.io.IOException
import java.nio.file.Files
import java.nio.file.NoSuchFileException
import java.nio.file.Path
import kotlin.io.path.writeText

/** Pins the text of every error the native-format writer and reader raise. */
class NativeFormatErrorsSpec : FunSpec({
    val trained = TrainedDigits.model
    val models = mutableListOf<Sequential>()
    afterSpec { models.forEach(Sequential::close) }
    fun Sequential.tracked(): Sequential = also { models += it }

    fun newDir(name: String): Path = Files.createDirectory(tempdir().toPath().resolve(name))
    fun checkpoint(kind: CheckpointKind): Path = newDir(kind.name.lowercase()).also { NativeFormatWriter.write(trained, it, kind) }

    test("loading a weights-only checkpoint as a full model says so and names the call to use instead") {
        val dir = checkpoint(CheckpointKind.WEIGHTS)
        shouldThrow<IllegalArgumentException> { NativeFormatReader.loadModel(DirectoryFiles(dir), ModelType.SequentialModel, true, Digits::compile) }.message shouldBe
            "checkpoint $dir is weights-only (it has no modelConfig.json), so it cannot rebuild a model; " +
            "build and compile the model yourself, then load its weights into it"
    }

    test("asking a weights-only checkpoint for optimizer state says so") {
        val dir = checkpoint(CheckpointKind.WEIGHTS)
        val model = Digits.newCompiledModel().tracked()
        shouldThrow<IllegalArgumentException> { NativeFormatReader.loadWeightsInto(model, DirectoryFiles(dir), true) }
            .message shouldBe "loadOptimizerState: checkpoint $dir holds no optimizer state (it is a weights-only checkpoint); " +
            "load it with loadOptimizerState = false"
    }

    test("a layer of another size names the variable and the expected and found sizes, and leaves the model untouched") {
        val dir = checkpoint(CheckpointKind.WEIGHTS)
        val model = Digits.newCompiledModel(hidden = 16).tracked()
        shouldThrow<IllegalArgumentException> { NativeFormatReader.loadWeightsInto(model, DirectoryFiles(dir), false) }.message shouldBe
            "variable hidden_dense_kernel: model ${model.name} expects shape [64, 16] (1024 values), " +
            "but hidden_dense_kernel.txt in $dir holds 2048 values"
        KotlinDlAccess.isInitialized(model) shouldBe false
    }

    test("layers that exist on one side only are listed by name") {
        val dir = checkpoint(CheckpointKind.WEIGHTS)
        val model = Sequential.of(
            Input(64, name = "pixels"),
            Dense(32, Activations.Relu, name = "hidden"),
            Dense(10, Activations.Linear, name = "logits"),
        ).tracked()
        Digits.compile(model)
        shouldThrow<IllegalArgumentException> { NativeFormatReader.loadWeightsInto(model, DirectoryFiles(dir), false) }.message shouldBe
            "checkpoint $dir does not match model ${model.name}: " +
            "layer variables [output_dense_kernel, output_dense_bias] are not in the model; " +
            "model layer variables [logits_dense_kernel, logits_dense_bias] are not in the checkpoint " +
            "(model has [hidden_dense_kernel, hidden_dense_bias, logits_dense_kernel, logits_dense_bias])"
    }

    test("loading into a model that is not compiled is a lifecycle error") {
        val dir = checkpoint(CheckpointKind.WEIGHTS)
        val model = Digits.newModel().tracked()
        shouldThrow<IllegalStateException> { NativeFormatReader.loadWeightsInto(model, DirectoryFiles(dir), false) }.message shouldBe
            "model ${model.name} is not compiled; compile() it before loading weights from $dir"
    }

    test("a compiler that does not compile is named") {
        val dir = checkpoint(CheckpointKind.FULL)
        shouldThrow<IllegalStateException> { NativeFormatReader.loadModel(DirectoryFiles(dir), ModelType.SequentialModel, true) { models += it } }.message shouldBe
            "the ModelCompiler passed to loadModel returned without compiling model ${models.last().name}; call model.compile(...) in it"
    }

    test("a directory without variableNames.txt is not a checkpoint") {
        val dir = newDir("empty")
        shouldThrow<NoSuchFileException> { NativeFormatReader.kindOf(DirectoryFiles(dir)) }.message shouldBe
            "${dir.resolve("variableNames.txt")}: not a KotlinDL checkpoint: variableNames.txt is missing"
    }

    test("a value that is not a float names the file and its position") {
        val dir = checkpoint(CheckpointKind.WEIGHTS)
        dir.resolve("output_dense_bias.txt").writeText("0.5 1.0 abc 0 0 0 0 0 0 0")
        val model = Digits.newCompiledModel().tracked()
        shouldThrow<IOException> { NativeFormatReader.loadWeightsInto(model, DirectoryFiles(dir), false) }.message shouldBe
            "output_dense_bias.txt: value 3 of 10, 'abc', is not a float"
    }

    test("writing into a directory that is not empty is refused") {
        val dir = newDir("busy").also { it.resolve("stray.txt").writeText("x") }
        shouldThrow<IllegalArgumentException> { NativeFormatWriter.write(trained, dir, CheckpointKind.WEIGHTS) }.message shouldBe
            "dir: checkpoint directory $dir must be empty, but it contains stray.txt"
    }

    test("writing into a directory that does not exist is refused") {
        val dir = tempdir().toPath().resolve("missing")
        shouldThrow<IllegalArgumentException> { NativeFormatWriter.write(trained, dir, CheckpointKind.WEIGHTS) }.message shouldBe
            "dir: checkpoint directory $dir must be an existing directory (create it first)"
    }

    test("a full checkpoint of a model that never trained has no optimizer state to write") {
        val model = Digits.newCompiledModel().tracked().also { it.init() }
        shouldThrow<IllegalStateException> { NativeFormatWriter.write(model, newDir("untrained"), CheckpointKind.FULL) }
            .message shouldBe "model ${model.name} has no optimizer state yet (it starts with fit()); save weights only, or train first"
    }

    test("a model without weights cannot be written") {
        val model = Digits.newCompiledModel().tracked()
        shouldThrow<IllegalStateException> { NativeFormatWriter.write(model, newDir("uninit"), CheckpointKind.WEIGHTS) }
            .message shouldBe "model ${model.name} has no weights yet; call init(), fit() or loadWeights() before saving"
    }

    test("a callback outside fit has no model") {
        val callback = object : Callback() {}
        shouldThrow<IllegalStateException> { KotlinDlAccess.modelOf(callback) }.message shouldBe
            "callback ${callback.javaClass.name} is not bound to a model yet; KotlinDL binds it when fit() starts"
    }

    test("a callback inside fit reaches the model it trains") {
        val model = Digits.newCompiledModel().tracked()
        var seen: Any? = null
        val callback = object : Callback() {
            override fun onTrainBegin() { seen = KotlinDlAccess.modelOf(this) }
        }
        model.fit(Digits.train(), 1, Digits.BATCH_SIZE, listOf(callback))
        (seen === model) shouldBe true
    }

    context("variable names that cannot be file names in the checkpoint directory are refused") {
        withData(nameFn = { "'${it.replace("\t", "\\t")}'" }, "", ".", "..", "a/b", "a\\b", "tab\there", "variableNames") { name ->
            val e = shouldThrow<IllegalArgumentException> { NativeLayout.requireFileSafe(name) }
            e.message shouldBe "variable name '$name' cannot be stored as a file name '$name.txt' in KotlinDL's layout"
        }
    }
})

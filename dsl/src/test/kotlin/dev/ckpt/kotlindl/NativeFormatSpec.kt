package dev.ckpt.kotlindl

import dev.ckpt.CheckpointKind

import com.google.common.jimfs.Configuration
import com.google.common.jimfs.Jimfs
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.doubles.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import org.jetbrains.kotlinx.dl.api.core.SavingFormat
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.WritingMode
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.listDirectoryEntries
import kotlin.io.path.name

class NativeFormatSpec : FunSpec({
    val trained = TrainedDigits.model
    val expected by lazy { Digits.predictionBits(trained) }
    val opened = mutableListOf<AutoCloseable>()
    afterSpec { opened.forEach(AutoCloseable::close) }

    fun <T : AutoCloseable> T.closeLater(): T = also { opened += it }

    fun ckptCheckpoint(kind: CheckpointKind): Path {
        val dir = Files.createDirectory(tempdir().toPath().resolve("ckpt"))
        NativeFormatWriter.write(trained, dir, kind)
        return dir
    }

    fun kotlinDlCheckpoint(saveOptimizerState: Boolean): Path {
        val dir = tempdir().toPath().resolve("kotlindl")
        trained.save(dir.toFile(), SavingFormat.JSON_CONFIG_CUSTOM_VARIABLES, saveOptimizerState, WritingMode.FAIL_IF_EXISTS)
        return dir
    }

    fun filesIn(dir: Path): Map<String, ByteArray> =
        dir.listDirectoryEntries().sortedBy { it.name }.associate { it.name to Files.readAllBytes(it) }

    test("the shared model has learned something, so bitwise equality below compares real weights") {
        Digits.rowCount shouldBe 1797
        Digits.accuracy(trained) shouldBeGreaterThan 0.85
    }

    test("KotlinDL's own loaders rebuild a model from a full ckpt checkpoint that predicts bitwise the same") {
        val dir = ckptCheckpoint(CheckpointKind.FULL)
        val restored = Sequential.loadDefaultModelConfiguration(dir.toFile()).closeLater()
        Digits.compile(restored)
        restored.loadWeights(dir.toFile(), true)
        Digits.predictionBits(restored) shouldBe expected
        variableBits(restored, includeOptimizer = true) shouldBe variableBits(trained, includeOptimizer = true)
    }

    test("KotlinDL's own loadWeights reads a weights-only ckpt checkpoint into a fresh model that predicts bitwise the same") {
        val dir = ckptCheckpoint(CheckpointKind.WEIGHTS)
        val restored = Digits.newCompiledModel().closeLater()
        restored.loadWeights(dir.toFile(), false)
        Digits.predictionBits(restored) shouldBe expected
    }

    test("KotlinDL's own loadWeights reads back every kind of float ckpt writes, also those JDK 17 prints with other digits") {
        // Shortest digits where JDK 17's Float.toString printed others (1.68289035E13, 9.5829186E24, 1.794E-43,
        // 1.0E-43, 1.17549435E-38 there), the extremes, zeros, infinities, NaN, and random bit patterns.
        val special = listOf(1.6828903E13f, 9.5829187E24f, 1.8E-43f, 9.9E-44f, Float.MAX_VALUE, -Float.MIN_VALUE,
            java.lang.Float.MIN_NORMAL, -0f, 0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 1e7f, 1e-3f)
        val random = java.util.SplittableRandom(25)
        val source = Digits.newCompiledModel().closeLater()
        val values = KotlinDlAccess.layerVariableNames(source).map { name ->
            val shape = KotlinDlAccess.declaredShape(source, name)!!
            val n = VariableValue.elementCount(shape).toInt()
            VariableValue(name, shape, java.nio.FloatBuffer.wrap(FloatArray(n) { i ->
                // NaN payloads do not survive text (NaN reads back as the canonical NaN), so random ones are not NaN
                if (i < special.size) special[i] else generateSequence { java.lang.Float.intBitsToFloat(random.nextInt()) }.first { !it.isNaN() }
            }))
        }
        KotlinDlAccess.assignVariables(source, values, false)
        val dir = Files.createDirectory(tempdir().toPath().resolve("special"))
        NativeFormatWriter.write(source, dir, CheckpointKind.WEIGHTS)
        Files.readString(dir.resolve("output_dense_bias.txt")) shouldBe
            "1.6828903E13 9.5829187E24 1.8E-43 9.9E-44 3.4028235E38 -1.4E-45 1.1754944E-38 -0.0 0.0 Infinity"

        val restored = Digits.newCompiledModel().closeLater()
        restored.loadWeights(dir.toFile(), false)
        variableBits(restored, includeOptimizer = false) shouldBe variableBits(source, includeOptimizer = false)
        val ours = Digits.newCompiledModel().closeLater()
        NativeFormatReader.loadWeightsInto(ours, DirectoryFiles(dir), false)
        variableBits(ours, includeOptimizer = false) shouldBe variableBits(source, includeOptimizer = false)
    }

    test("a full ckpt checkpoint holds exactly the files KotlinDL's save writes with optimizer state, byte for byte") {
        val ours = filesIn(ckptCheckpoint(CheckpointKind.FULL))
        val theirs = filesIn(kotlinDlCheckpoint(saveOptimizerState = true))
        ours.keys.toList() shouldContainExactly theirs.keys.toList()
        ours.keys.toList() shouldContainExactly listOf(
            "hidden_dense_bias.txt", "hidden_dense_kernel.txt", "modelConfig.json",
            "optimizer_beta1_power.txt", "optimizer_beta2_power.txt",
            "optimizer_hidden_dense_bias-m.txt", "optimizer_hidden_dense_bias-v.txt",
            "optimizer_hidden_dense_kernel-m.txt", "optimizer_hidden_dense_kernel-v.txt",
            "optimizer_output_dense_bias-m.txt", "optimizer_output_dense_bias-v.txt",
            "optimizer_output_dense_kernel-m.txt", "optimizer_output_dense_kernel-v.txt",
            "output_dense_bias.txt", "output_dense_kernel.txt", "variableNames.txt",
        )
        for (name in theirs.keys) {
            withClue(name) { ours.getValue(name).decodeToString() shouldBe theirs.getValue(name).decodeToString() }
        }
    }

    test("a weights-only ckpt checkpoint is KotlinDL's save without optimizer state minus modelConfig.json, byte for byte") {
        val ours = filesIn(ckptCheckpoint(CheckpointKind.WEIGHTS))
        val theirs = filesIn(kotlinDlCheckpoint(saveOptimizerState = false)) - "modelConfig.json"
        ours.keys.toList() shouldContainExactly theirs.keys.toList()
        for (name in theirs.keys) {
            withClue(name) { ours.getValue(name).decodeToString() shouldBe theirs.getValue(name).decodeToString() }
        }
    }

    test("write returns the relative names of the files it wrote, names file first after the configuration") {
        val dir = Files.createDirectory(tempdir().toPath().resolve("listing"))
        val written = NativeFormatWriter.write(trained, dir, CheckpointKind.FULL)
        written.take(3) shouldContainExactly listOf("modelConfig.json", "variableNames.txt", "hidden_dense_kernel.txt")
        written.sorted() shouldContainExactly dir.listDirectoryEntries().map { it.name }.sorted()
        NativeFormatReader.kindOf(DirectoryFiles(dir)) shouldBe CheckpointKind.FULL
    }

    test("ckpt's reader rebuilds a model from a checkpoint KotlinDL's save wrote, predicting bitwise the same") {
        val dir = kotlinDlCheckpoint(saveOptimizerState = true)
        val restored = NativeFormatReader.loadModel(DirectoryFiles(dir), ModelType.SequentialModel, true, Digits::compile).closeLater()
        Digits.predictionBits(restored) shouldBe expected
        variableBits(restored, includeOptimizer = true) shouldBe variableBits(trained, includeOptimizer = true)
    }

    test("a full checkpoint written to and read from an in-memory file system restores bitwise equal predictions") {
        Jimfs.newFileSystem(Configuration.unix()).use { fs ->
            val dir = Files.createDirectories(fs.getPath("/runs/digits/e02"))
            val written = NativeFormatWriter.write(trained, dir, CheckpointKind.FULL)
            written.size shouldBe 16
            val restored = NativeFormatReader.loadModel(DirectoryFiles(dir), ModelType.SequentialModel, true, Digits::compile).closeLater()
            Digits.predictionBits(restored) shouldBe expected
        }
    }

    test("weights-only checkpoints on an in-memory file system load into a fresh model") {
        Jimfs.newFileSystem(Configuration.windows()).use { fs ->
            val dir = Files.createDirectories(fs.getPath("C:\\runs\\w"))
            NativeFormatWriter.write(trained, dir, CheckpointKind.WEIGHTS) shouldContainExactly listOf(
                "variableNames.txt", "hidden_dense_kernel.txt", "hidden_dense_bias.txt",
                "output_dense_kernel.txt", "output_dense_bias.txt",
            )
            NativeFormatReader.kindOf(DirectoryFiles(dir)) shouldBe CheckpointKind.WEIGHTS
            val restored = Digits.newCompiledModel().closeLater()
            NativeFormatReader.loadWeightsInto(restored, DirectoryFiles(dir), false)
            Digits.predictionBits(restored) shouldBe expected
        }
    }
})

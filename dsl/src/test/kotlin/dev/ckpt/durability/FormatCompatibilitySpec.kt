package dev.ckpt.durability

import dev.ckpt.Checkpoints
import dev.ckpt.checkpoint
import dev.ckpt.kotlindl.Digits
import dev.ckpt.storage.copyTree
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.types.shouldBeInstanceOf
import org.jetbrains.kotlinx.dl.api.core.Sequential
import java.nio.file.Files
import java.nio.file.Path

/**
 * A run written by an earlier ckpt in format 1 (test resource `runs/v1-run`, see its README) still opens,
 * verifies, restores and resumes; resuming rewrites its manifest in the current format and leaves the old
 * checkpoints' files as they were.
 */
class FormatCompatibilitySpec : FunSpec({
    fun copyOfV1Run(): Path {
        val source = Path.of(FormatCompatibilitySpec::class.java.getResource("/runs/v1-run/manifest.json")!!.toURI()).parent
        val base = tempdir().toPath()
        copyTree(source, base.resolve("v1-run"))
        return base
    }

    test("a format 1 run opens, lists its checkpoints with their facts, and verifies") {
        val run = Checkpoints.open(copyOfV1Run().resolve("v1-run"))
        run.all.map { it.path } shouldContainExactly listOf("e02-0.2172", "e03-0.1622")
        run.best().path shouldBe "e03-0.1622"
        run.latest().epoch shouldBe 3
        run.latest().step shouldBe 135L
        run.latest().metrics.getValue("val_loss") shouldBe 0.16216090321540833
        run.verify().allOk shouldBe true
    }

    test("the best checkpoint of a format 1 run restores into a fresh model and predicts as the checkpoint's weights do") {
        val run = Checkpoints.open(copyOfV1Run().resolve("v1-run"))
        run.best().loadSequential(Digits::compile).use { restored ->
            Digits.newCompiledModel().use { other ->
                run.best().loadWeightsInto(other)
                Digits.predictionBits(restored) shouldBe Digits.predictionBits(other)
            }
        }
    }

    test("a format 1 checkpoint records no model class and loadModel rebuilds it as Sequential, as format 1 always did") {
        val run = Checkpoints.open(copyOfV1Run().resolve("v1-run"))
        run.best().loadModel(Digits::compile).use { it.shouldBeInstanceOf<Sequential>() }
    }

    test("resuming a format 1 run continues its numbering and rewrites the manifest in format 2, old files untouched") {
        val base = copyOfV1Run()
        val dir = base.resolve("v1-run")
        val e03Before = Files.readString(dir.resolve("e03-0.1622/checkpoint.json"))
        val saver = checkpoint("v1-run/e{epoch:02d}-{val_loss:.4f}") { monitor = "val_loss"; keepLast = 2; resume = true; directory = base }
        Digits.newCompiledModel().use { it.fit(Digits.train(), Digits.validation(), 1, 32, 64, listOf(saver)) }
        saver.saved.single() shouldContain "v1-run/e04-"
        Files.readString(dir.resolve("manifest.json")) shouldContain "\"formatVersion\": 2"
        Files.readString(dir.resolve("e03-0.1622/checkpoint.json")) shouldBe e03Before
        val run = Checkpoints.open(dir)
        run.all.map { it.epoch } shouldContainExactly listOf(3, 4)
        run.latest().step shouldBe 180L
        run.verify().allOk shouldBe true
        Files.exists(dir.resolve("e02-0.2172")) shouldBe false
    }
})

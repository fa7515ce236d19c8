package dev.ckpt.samples

import dev.ckpt.Checkpoints
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.ints.shouldBeLessThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.io.ByteArrayOutputStream
import java.io.PrintStream
import java.nio.file.Files

private fun run(dir: java.nio.file.Path) = Checkpoints.open(dir)

class DigitsMainSpec : FunSpec({
    test("the main job trains, keeps best + last 3, and the restored best scores exactly its logged accuracy") {
        val dir = tempdir().toPath().resolve("digits")
        val buffer = ByteArrayOutputStream()
        val outcome = PrintStream(buffer, true, Charsets.UTF_8).use { runDigits(dir, 6, it) }
        val printed = buffer.toString(Charsets.UTF_8)

        outcome.restoredMatchesLogged shouldBe true
        outcome.restoredAccuracy shouldBe run(dir).best().metrics.getValue("val_accuracy")
        printed shouldContain "ckpt | Epoch 1: saving model to $dir/e01-acc"
        printed shouldContain "- identical"
        withClue("the main job's output, escape codes shown as <ESC>:\n" + printed.replace("\u001b", "<ESC>")) {
            printed.contains('\u001b') shouldBe false
        }
        val run = run(dir)
        run.all.map { it.path } shouldBe outcome.kept
        outcome.kept.takeLast(3).map { it.substring(0, 3) } shouldBe listOf("e04", "e05", "e06")
        outcome.kept shouldContain run.best().path
        run.verify().allOk shouldBe true
        Files.exists(dir.resolve("manifest.json")) shouldBe true
        run.history().map { it.epoch } shouldBe (1..6).toList()
        outcome.chart shouldBe dir.resolve("history.png")
        javax.imageio.ImageIO.read(outcome.chart!!.toFile()).width shouldBe 1000
        printed shouldContain "Metric history (val_accuracy and loss per epoch, saved/best/released checkpoints marked): ${outcome.chart!!.toAbsolutePath()}"
    }

    test("the Java sample saves best-only checkpoints through the Java API and restores the best exactly") {
        val dir = tempdir().toPath().resolve("digits-java")
        val buffer = ByteArrayOutputStream()
        val matched = PrintStream(buffer, true, Charsets.UTF_8).use { DigitsJava.run(dir, 4, it) }

        matched shouldBe true
        val run = run(dir)
        run.all.size shouldBeLessThanOrEqual 2 // best-only saves, retention keeps the best 2
        run.best().metrics.getValue("val_accuracy") shouldBe run.all.maxOf { it.metrics.getValue("val_accuracy") }
        buffer.toString(Charsets.UTF_8) shouldContain "improved from"
    }
})

package dev.ckpt.samples.docs

import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.core.policy.Retention
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldContainExactlyInAnyOrder
import io.kotest.matchers.shouldBe
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.invariantSeparatorsPathString
import kotlin.io.path.isRegularFile

class CoreEngineExampleSpec : FunSpec({
    test("the core example deletes exactly the checkpoints retention released, inside the run directory, and nothing else") {
        val root = tempdir().toPath()
        val run = root.resolve("runs/core")
        Files.createDirectories(run)
        Files.writeString(run.resolve("notes.txt"), "the user's, not ckpt's")
        // Decoys where a path relative to the wrong directory would point: the example must not touch them.
        Files.createDirectories(root.resolve("e01"))
        val policy = CheckpointPolicy.builder("$run/e{epoch:02d}").monitor("val_loss").retention(Retention.keepAll().withKeepLast(2)).build()
        val losses = listOf(0.9, 0.5, 0.8, 0.7, 0.75, 0.6)
        val example = CoreEngineExample(losses.map { mapOf("loss" to it, "accuracy" to 1 - it, "val_loss" to it, "val_accuracy" to 1 - it) })

        example.run(policy, losses.size)

        val kept = example.engine.checkpoints().kept().map { it.path() }
        kept shouldContainExactlyInAnyOrder listOf("e02", "e05", "e06") // the last 2, and the best (val_loss 0.5)
        val all = (1..6).map { "e%02d".format(it) }
        example.written.map { it.toAbsolutePath() } shouldBe all.map { run.resolve(it) }
        example.deleted.map { it.toAbsolutePath() } shouldContainExactlyInAnyOrder (all - kept.toSet()).map { run.resolve(it) }
        val files = Files.walk(root).use { all -> all.filter { it.isRegularFile() }.map { root.relativize(it).invariantSeparatorsPathString }.toList() }
        files shouldContainExactlyInAnyOrder kept.map { "runs/core/$it/weights.txt" } + "runs/core/notes.txt"
        Files.isDirectory(root.resolve("e01")) shouldBe true
    }

    test("CheckpointEngine's Javadoc shows this example: its block is held to the same region as the README's") {
        val root = Path.of("..").toAbsolutePath().normalize()
        val source = root.resolve("core/src/main/java/dev/ckpt/core/engine/CheckpointEngine.java")
        val blocks = DocSnippets.javadocBlocks(root, source)
        blocks.map { it.marker } shouldBe listOf("<!-- snippet: samples/src/test/java/dev/ckpt/samples/docs/CoreEngineExample.java#engine -->")
        blocks.map { DocSnippets.problem(root, it) } shouldBe listOf(null)
    }

    test("the README's template line formats as its comment says") {
        CoreEngineExample.template() shouldBe "e07-0.12"
    }
})

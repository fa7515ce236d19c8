package dev.ckpt.samples.docs

import dev.ckpt.Checkpoints
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldHaveAtMostSize
import io.kotest.matchers.doubles.shouldBeGreaterThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldMatch
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * The README's quick starts, run as written on the digits (DocSnippetsSpec holds the README to these sources): each
 * in a child JVM whose working directory is a fresh directory, since the examples write to `runs/digits`.
 */
class DocExamplesSpec : FunSpec({
    test("the Kotlin quick start trains 30 epochs, keeps the best 3, and the restored best scores its logged accuracy; resume and load-weights run on its run") {
        val work = tempdir().toPath()
        val child = runExamples("kotlin", work)
        val results = child.results
        val run = Checkpoints.open(work.resolve("runs/digits"))
        val best = run.best()

        withClue(child.output) {
            results["done"] shouldBe "true"
            child.output shouldContain "Epoch 1: val_accuracy improved from none to "
            // The README's "What it prints" lines have the shapes this run printed (its numbers depend on the model).
            readmePrinted().forEach { line ->
                withClue(line) { child.output.lines().any { shapeOf(line).matches(it) } shouldBe true }
            }
            results.getValue("restored").toDouble() shouldBe results.getValue("logged").toDouble()
            run.all shouldHaveAtMostSize 3
            best.metrics.getValue("val_accuracy") shouldBe run.all.maxOf { it.metrics.getValue("val_accuracy") }
            // The resumed run trained on to epoch 30 from the quick start's state; its best is never worse than the quick start's.
            run.history().last().epoch shouldBe 30
            best.metrics.getValue("val_accuracy") shouldBeGreaterThanOrEqual results.getValue("logged").toDouble()
            run.verify().allOk shouldBe true
            // load-weights put the best checkpoint's weights into a fresh model: it scores the best's logged accuracy.
            results.getValue("weights").toDouble() shouldBe best.metrics.getValue("val_accuracy")
        }
    }

    test("the Java quick start saves best-only checkpoints, keeps the best 2, and the restored best scores its logged accuracy") {
        val work = tempdir().toPath()
        val child = runExamples("java", work)
        val run = Checkpoints.open(work.resolve("runs/digits"))

        withClue(child.output) {
            child.results["done"] shouldBe "true"
            run.all shouldHaveAtMostSize 2
            run.all.forEach { it.path shouldMatch Regex("best-e(0[1-9]|10)") }
            child.results.getValue("restored").toDouble() shouldBe run.best().metrics.getValue("val_accuracy")
            child.output shouldContain "${run.best().path}: validation accuracy "
        }
    }

    test("docs/preemption.md's example trains its 30 epochs, reports no stop, and leaves a run that verifies") {
        val work = tempdir().toPath()
        val child = runExamples("stop", work)
        val run = Checkpoints.open(work.resolve("runs/digits"))

        withClue(child.output) {
            child.results["done"] shouldBe "true"
            child.output.lines().none { it.startsWith("stopped: ") } shouldBe true
            run.history().last().epoch shouldBe 30
            run.verify().allOk shouldBe true
        }
    }
})

/** The lines of the README's block after "What it prints (`verbose = true`):". */
private fun readmePrinted(): List<String> {
    val readme = Files.readString(Path.of("../README.md"))
    val block = readme.substringAfter("What it prints (`verbose = true`):\n\n```\n").substringBefore("\n```")
    check(block.isNotBlank() && block.length < readme.length) { "README.md has no block after \"What it prints\"" }
    return block.lines()
}

/** [line] as a pattern in which every number may be another number. */
private fun shapeOf(line: String): Regex {
    val number = Regex("""\d+(?:\.\d+)?""")
    return Regex(line.split(number).joinToString(number.pattern) { Regex.escape(it) })
}

private class Child(val output: String, val results: Map<String, String>)

/** [DocExamplesMain] [scenario] in a JVM of its own, working directory [work], on this JVM's class path. */
private fun runExamples(scenario: String, work: Path): Child {
    val log = work.resolve("child.log")
    val java = Path.of(System.getProperty("java.home"), "bin", "java").toString()
    val process = ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), DocExamplesMain::class.java.name, scenario)
        .directory(work.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .apply { environment()["TF_CPP_MIN_LOG_LEVEL"] = "2" }
        .start()
    process.outputStream.close()
    // 30 epochs of a 2,410-parameter MLP take seconds when idle; the bound only catches a hung child.
    check(process.waitFor(15, TimeUnit.MINUTES)) { process.destroyForcibly(); "DocExamplesMain $scenario did not finish; see $log" }
    val output = Files.readString(log)
    check(process.exitValue() == 0) { "DocExamplesMain $scenario exited with ${process.exitValue()}:\n$output" }
    val results = output.lines().filter { it.startsWith("RESULT ") }
        .associate { it.removePrefix("RESULT ").substringBefore('=') to it.substringAfter('=') }
    return Child(output, results)
}

package dev.ckpt.cli

import dev.ckpt.CorruptRunException
import dev.ckpt.RunLockedException
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldNotContain
import io.kotest.property.Arb
import io.kotest.property.arbitrary.int
import io.kotest.property.arbitrary.list
import io.kotest.property.arbitrary.long
import io.kotest.property.arbitrary.string
import io.kotest.property.checkAll
import java.io.IOException
import java.io.PrintWriter
import java.io.StringWriter
import java.nio.file.AccessDeniedException
import java.nio.file.NoSuchFileException
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit

/** Formatting, exit code mapping and the progress line. */
class TextSpec : FunSpec({
    context("sizes in binary units") {
        withData(
            nameFn = { "${it.first} bytes is ${it.second}" },
            0L to "0 B", 1023L to "1023 B", 1024L to "1.0 KiB", 92_262L to "90.1 KiB", 5L * 1024 * 1024 to "5.0 MiB",
            3L * 1024 * 1024 * 1024 * 1024 * 2048 to "6144.0 TiB",
        ) { (bytes, text) -> Text.size(bytes) shouldBe text }
    }

    test("a size never loses its order: more bytes never print as a smaller number in the same unit") {
        checkAll(500, Arb.long(0L..(1L shl 42)), Arb.long(0L..(1L shl 20))) { a, extra ->
            val (small, large) = Text.size(a) to Text.size(a + extra)
            if (small.substringAfter(' ') == large.substringAfter(' ')) {
                (small.substringBefore(' ').toDouble() <= large.substringBefore(' ').toDouble()) shouldBe true
            }
        }
    }

    context("metric values") {
        withData(
            nameFn = { "${it.first} prints as ${it.second} and as JSON ${it.third}" },
            Triple(0.97656, "0.9766", "0.97656"),
            Triple(Double.NaN, "NaN", "\"NaN\""),
            Triple(Double.POSITIVE_INFINITY, "Infinity", "\"Infinity\""),
            Triple(Double.NEGATIVE_INFINITY, "-Infinity", "\"-Infinity\""),
            Triple(null, "-", "null"),
        ) { (value, text, json) ->
            Text.metric(value) shouldBe text
            Text.metricJson(value).toString() shouldBe json
        }
    }

    test("an error message always becomes one line") {
        checkAll(300, Arb.list(Arb.string(0..12), 1..5)) { parts ->
            Text.oneLine(parts.joinToString("\n")) shouldNotContain "\n"
        }
        Text.oneLine("resume: differs:\n  monitor: a\n  mode: b\n") shouldBe "resume: differs:; monitor: a; mode: b"
    }

    test("table columns line up, numbers to the right, with no trailing blanks") {
        checkAll(200, Arb.list(Arb.int(0..100_000), 1..6)) { numbers ->
            val lines = Text.table(listOf("NAME", "N", "NOTE"), numbers.map { listOf("n$it", "$it", if (it % 2 == 0) "even" else "") }, setOf(1))
            lines.map { it.indexOf("  ", startIndex = 0).let { _ -> it.length - it.trimEnd().length } }.toSet() shouldBe setOf(0)
            val ends = lines.map { line -> line.substring(0, line.length.coerceAtMost(lines[0].indexOf("N  NOTE") + 1)).length }
            ends.toSet().size shouldBe 1
            lines.drop(1).zip(numbers).forEach { (line, n) -> line.substring(0, lines[0].indexOf("N  NOTE") + 1).trim().endsWith("$n") shouldBe true }
        }
    }

    context("failures map to documented exit codes") {
        withData(
            nameFn = { "${it.first.javaClass.simpleName} exits ${it.second}" },
            Pair(NoSuchFileException("/r", null, "no run here"), ExitCodes.NOT_FOUND to "/r: no run here"),
            Pair(NoSuchFileException("/r"), ExitCodes.NOT_FOUND to "/r: does not exist"),
            Pair(NoSuchElementException("run /r has no checkpoints"), ExitCodes.NOT_FOUND to "run /r has no checkpoints"),
            Pair(IllegalArgumentException("keepBest: needs a count >= 1"), ExitCodes.USAGE to "keepBest: needs a count >= 1"),
            Pair(AccessDeniedException("/r/manifest.json"), ExitCodes.IO_ERROR to "/r/manifest.json: permission denied"),
            Pair(IOException("No space left on device"), ExitCodes.IO_ERROR to "No space left on device"),
            Pair(IllegalStateException("boom"), ExitCodes.INTERNAL_ERROR to "unexpected error, please report it: java.lang.IllegalStateException: boom"),
        ) { (e, expected) -> CkptCli.classify(e) shouldBe expected }
    }

    test("the library's own run exceptions keep their messages") {
        val corrupt = runCatching { dev.ckpt.Checkpoints.open(java.nio.file.Files.createTempDirectory("x").also { java.nio.file.Files.writeString(it.resolve("manifest.json"), "{") }) }.exceptionOrNull()
        (corrupt is CorruptRunException) shouldBe true
        CkptCli.classify(corrupt!!) shouldBe (ExitCodes.CORRUPT_RUN to corrupt.message)
        (RunLockedException::class.java.superclass) shouldBe IOException::class.java
    }

    test("a wrong S3 setting is an S3 set-up error: exit 7, with the library's message naming the setting") {
        val saved = System.getProperty("ckpt.s3.pathStyle")
        System.setProperty("ckpt.s3.pathStyle", "yes")
        try {
            val result = ckpt("ls", "s3://ckpt-demo/runs/x")
            result.exit shouldBe ExitCodes.S3_SETUP
            result.err shouldBe "ckpt ls: CKPT_S3_PATH_STYLE (or -Dckpt.s3.pathStyle) must be true or false, got \"yes\"\n"
        } finally {
            if (saved == null) System.clearProperty("ckpt.s3.pathStyle") else System.setProperty("ckpt.s3.pathStyle", saved)
        }
    }

    test("verify counts a checkpoint released while it was verified as released, not damaged") {
        val results = listOf(
            dev.ckpt.CheckpointVerification("e01", dev.ckpt.CheckpointStatus.Missing),
            dev.ckpt.CheckpointVerification("e02", dev.ckpt.CheckpointStatus.Incomplete("a.txt")),
            dev.ckpt.CheckpointVerification("e03", dev.ckpt.CheckpointStatus.Ok),
            dev.ckpt.CheckpointVerification("e04", dev.ckpt.CheckpointStatus.Corrupt("b.txt", "x", "y")),
        )
        VerifyCommand.releasedSince(results, listedNow = setOf("e02", "e03", "e04", "e05")) shouldBe setOf("e01")
        VerifyCommand.releasedSince(results, listedNow = setOf("e04")) shouldBe setOf("e01", "e02")
    }

    context("progress line") {
        test("renders the share done, the count and the elapsed time") {
            ProgressLine.render("verifying", "checkpoints", 3, 8, 64_000) shouldBe
                "verifying [#########...............] 3/8 checkpoints  1:04"
            ProgressLine.render("verifying", "checkpoints", 0, 0, 0) shouldBe "verifying [########################] 0/0 checkpoints  0:00"
        }

        test("draws nothing when disabled, and nothing before its delay") {
            val text = StringWriter()
            ProgressLine(PrintWriter(text), "verifying", "checkpoints", 3, enabled = false, delayMillis = 0).use { it.step(3) }
            ProgressLine(PrintWriter(text), "verifying", "checkpoints", 3, enabled = true, delayMillis = 60_000).use { it.step(3) }
            text.toString() shouldBe ""
        }

        test("once drawn, it is redrawn on each step and erased when closed") {
            // The ticker's first draw is awaited as an event (a write to the terminal), not as a span of time.
            val firstDraw = CountDownLatch(1)
            val text = object : StringWriter() {
                override fun write(str: String, off: Int, len: Int) {
                    super.write(str, off, len)
                    firstDraw.countDown()
                }
            }
            ProgressLine(PrintWriter(text), "verifying", "checkpoints", 2, enabled = true, delayMillis = 0, periodMillis = 5).use { bar ->
                firstDraw.await(30, TimeUnit.SECONDS) shouldBe true
                bar.step(2)
            }
            val written = text.toString()
            (written.startsWith("\rverifying [")) shouldBe true
            written.substringBeforeLast("\r").substringAfterLast("\r").trim() shouldBe ""
            written.contains("2/2 checkpoints") shouldBe true
            written.endsWith("\r") shouldBe true
        }
    }
})

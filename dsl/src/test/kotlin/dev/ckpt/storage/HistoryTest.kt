package dev.ckpt.storage

import dev.ckpt.Checkpoints
import dev.ckpt.CorruptRunException
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.shouldBe
import io.kotest.property.Arb
import io.kotest.property.arbitrary.int
import io.kotest.property.checkAll
import java.nio.file.Files
import java.time.Instant

/** `history.jsonl`: appended a line at a time, read strictly except for a torn last line. */
class HistoryTest : FunSpec({
    fun line(epoch: Int, saved: List<String> = emptyList(), metrics: Map<String, Double> = mapOf("loss" to 1.0 / epoch)) =
        HistoryLine(epoch, epoch * 10L, metrics, saved, Instant.parse("2024-05-01T12:00:00Z").plusSeconds(epoch.toLong()))

    fun historyFile(box: Sandbox) = box.run.resolve(HISTORY_FILE)

    test("appended lines read back in order, with values JSON cannot express") {
        JimfsSandbox().use { box ->
            val lines = listOf(
                line(1, saved = listOf("e01")),
                line(2, metrics = mapOf("loss" to Double.NaN, "val_loss" to Double.POSITIVE_INFINITY, "x" to Double.NEGATIVE_INFINITY)),
                line(3, saved = listOf("b/s100", "e03")),
            )
            openWriter(box.run).use { w -> lines.forEach(w::appendHistory) }
            reader(box.run).history() shouldBe lines
        }
    }

    test("each record is one compact JSON line with NaN as a string") {
        JimfsSandbox().use { box ->
            openWriter(box.run).use { w -> w.appendHistory(line(1, saved = listOf("e01"), metrics = mapOf("loss" to Double.NaN))) }
            Files.readString(historyFile(box)) shouldBe
                "{\"epoch\":1,\"step\":10,\"metrics\":{\"loss\":\"NaN\"},\"saved\":[\"e01\"],\"time\":\"2024-05-01T12:00:01Z\"}\n"
        }
    }

    test("a run without history.jsonl has an empty history") {
        JimfsSandbox().use { box ->
            openWriter(box.run).close()
            reader(box.run).history().shouldBeEmpty()
            Checkpoints.open(box.run).history().shouldBeEmpty()
        }
    }

    test("a torn last line is ignored by readers and cut off by the next append") {
        DefaultSandbox().use { box ->
            openWriter(box.run).use { w -> (1..2).forEach { w.appendHistory(line(it)) } }
            Files.write(historyFile(box), "{\"epoch\":3,\"st".toByteArray(), java.nio.file.StandardOpenOption.APPEND)
            reader(box.run).history().map { it.epoch } shouldBe listOf(1, 2)
            openWriter(box.run).use { w -> w.appendHistory(line(3)) }
            reader(box.run).history().map { it.epoch } shouldBe listOf(1, 2, 3)
            Files.readAllLines(historyFile(box)).size shouldBe 3
        }
    }

    test("zeros a crash left after the last line are a torn line too") {
        DefaultSandbox().use { box ->
            openWriter(box.run).use { w -> w.appendHistory(line(1)) }
            Files.write(historyFile(box), ByteArray(512), java.nio.file.StandardOpenOption.APPEND)
            reader(box.run).history().map { it.epoch } shouldBe listOf(1)
            openWriter(box.run).use { w -> w.appendHistory(line(2)) }
            reader(box.run).history().map { it.epoch } shouldBe listOf(1, 2)
        }
    }

    context("a damaged line before the last is an error naming the file and the line") {
        withData(
            nameFn = { it.first },
            "not JSON" to ("{\"epoch\":" to "line 2 is not a history record: it is not valid JSON: "),
            "empty" to ("" to "line 2 is not a history record: it is empty"),
            "an array" to ("[1]" to "line 2 is not a history record: it must be a JSON object"),
            "a missing field" to ("{\"epoch\":2,\"metrics\":{},\"saved\":[],\"time\":\"2024-05-01T12:00:00Z\"}" to
                "line 2 is not a history record: it lacks the required field step"),
            "an unknown field" to ("{\"epoch\":2,\"step\":1,\"metrics\":{},\"saved\":[],\"time\":\"2024-05-01T12:00:00Z\",\"lr\":1}" to
                "line 2 is not a history record: it has the unknown field 'lr'; expected only epoch, step, metrics, saved, time"),
            "epoch 0" to ("{\"epoch\":0,\"step\":1,\"metrics\":{},\"saved\":[],\"time\":\"2024-05-01T12:00:00Z\"}" to
                "line 2 is not a history record: epoch must be >= 1, got 0"),
            "a saved path outside the run" to ("{\"epoch\":2,\"step\":1,\"metrics\":{},\"saved\":[\"../x\"],\"time\":\"2024-05-01T12:00:00Z\"}" to
                "line 2 is not a history record: saved \"../x\" must not contain \"..\": paths in a run stay inside the run directory"),
        ) { (_, case) ->
            val (damaged, problem) = case
            JimfsSandbox().use { box ->
                openWriter(box.run).use { w -> w.appendHistory(line(1)) }
                Files.writeString(historyFile(box), Files.readString(historyFile(box)) + damaged + "\n" + String(HistoryCodec.encode(line(3))))
                val error = shouldThrow<CorruptRunException> { Checkpoints.open(box.run).history() }
                error.file shouldBe historyFile(box).toString()
                error.problem.startsWith(problem) shouldBe true
                error.message shouldBe "${historyFile(box)}: ${error.problem}"
            }
        }
    }

    test("a symbolic link in place of history.jsonl is neither read nor appended to") {
        DefaultSandbox().use { box ->
            box.plantOutside()
            openWriter(box.run).close()
            Files.createSymbolicLink(historyFile(box), box.outside.resolve("passwd"))
            val message = "${historyFile(box)}: is a symbolic link; ckpt never follows links inside a run"
            shouldThrow<CorruptRunException> { reader(box.run).history() }.message shouldBe message
            shouldThrow<CorruptRunException> { openWriter(box.run).use { it.appendHistory(line(1)) } }.message shouldBe message
            Files.readString(box.outside.resolve("passwd")) shouldBe "root:x:0:0"
        }
    }

    test("a file cut at any byte reads as the lines complete before the cut, and the next append continues it") {
        checkAll(80, Arb.int(1..6), Arb.int(0..10_000)) { count, cutSeed ->
            JimfsSandbox().use { box ->
                val lines = (1..count).map { line(it, saved = if (it % 2 == 0) listOf("e%02d".format(it)) else emptyList()) }
                openWriter(box.run).use { w -> lines.forEach(w::appendHistory) }
                val bytes = Files.readAllBytes(historyFile(box))
                val cut = cutSeed % (bytes.size + 1)
                Files.write(historyFile(box), bytes.copyOf(cut))
                val complete = String(bytes.copyOf(cut)).count { it == '\n' }
                reader(box.run).history() shouldBe lines.take(complete)
                openWriter(box.run).use { w -> w.appendHistory(line(count + 1)) }
                reader(box.run).history() shouldBe lines.take(complete) + line(count + 1)
            }
        }
    }
})

package dev.ckpt.storage

import dev.ckpt.CheckpointListener
import dev.ckpt.Messages
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.nio.file.Files

/** Storage warnings reach the run's listener (through the writer's sink), not only SLF4J. */
class StorageWarningsTest : FunSpec({

    test("a release that leaves foreign files in place warns through the writer's sink") {
        JimfsSandbox().use { box ->
            val warnings = ArrayList<String>()
            RunWriter.open(FileRunStore(box.run), "fp-1", FIXED_CLOCK, "test owner pid 42", warn = { warnings += it }).use { w ->
                w.save("e01", 1)
                w.save("e02", 2, best = true)
                Files.writeString(box.run.resolve("e01/notes.txt"), "mine")
                w.save("e03", 3, release = listOf("e01"))
                w.release().shouldBeEmpty()
            }
            warnings shouldHaveSize 1
            warnings[0] shouldContain "holds files ckpt did not write (notes.txt)"
            Files.readString(box.run.resolve("e01/notes.txt")) shouldBe "mine"
        }
    }

    test("a warning from another thread reaches the listener only when the training thread delivers it") {
        val heard = ArrayList<Pair<String, Thread>>()
        val messages = Messages(CheckpointListener { heard += it to Thread.currentThread() })
        val writer = Thread { messages.warnFromAnyThread("kept e01: it holds files ckpt did not write (notes.txt)") }
        writer.start()
        writer.join()
        heard.shouldBeEmpty()
        messages.deliver()
        heard.map { it.first } shouldContainExactly listOf("WARNING: kept e01: it holds files ckpt did not write (notes.txt)")
        heard[0].second shouldBe Thread.currentThread()
    }
})

package dev.ckpt.storage

import com.google.common.jimfs.Configuration
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContainAll
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.types.shouldBeInstanceOf
import java.io.IOException
import java.nio.file.Files

/** Disk full on a size-limited in-memory file system: the storage layer is Path-based end to end. */
class DiskFullTest : FunSpec({

    fun smallDisk() = JimfsSandbox(Configuration.unix().toBuilder().setBlockSize(1024).setMaxSize(64L * 1024).build())

    fun bigModel(bytes: Int) = listOf(CheckpointFile("weights.bin") { ByteArray(bytes) { it.toByte() } })

    test("a save that fills the disk fails naming the checkpoint, removes its temp dir and keeps earlier checkpoints") {
        smallDisk().use { box ->
            openWriter(box.run).use { w ->
                w.save("e01", 1, "small", best = true)
                val manifestBefore = Files.readString(box.run.resolve("manifest.json"))
                val error = shouldThrow<IOException> { w.save("e02", 2, files = bigModel(200 * 1024)) }
                error.message shouldContain box.run.resolve("e02").toString()
                error.message shouldContain "earlier checkpoints and manifest.json are unchanged"
                leftovers(box.run).shouldBeEmpty()
                Files.exists(box.run.resolve("e02")) shouldBe false
                Files.readString(box.run.resolve("manifest.json")) shouldBe manifestBefore
                w.reader().verify().allOk shouldBe true
                // Space is released: a small save still works.
                w.save("e03", 3, "small again")
                w.reader().verify().allOk shouldBe true
            }
        }
    }

    test("an overwrite that fills the disk keeps the old checkpoint at the fixed path") {
        smallDisk().use { box ->
            openWriter(box.run).use { w ->
                w.save("best", 1, "old", best = true)
                shouldThrow<IOException> { w.save("best", 2, best = true, files = bigModel(200 * 1024)) }
                Files.readString(box.run.resolve("best/model.json")) shouldBe "old"
                w.manifest.checkpoints.single().facts.epoch shouldBe 1
                leftovers(box.run).shouldBeEmpty()
            }
        }
    }

    test("a sweep of model sizes runs out of space in the model files, checkpoint.json and the manifest; each time the run stays consistent") {
        // Sizes around the free space left after the first checkpoint, half a block apart, hit each write of the protocol.
        val outcomes = sortedMapOf<Int, String>()
        for (size in (40 * 1024..62 * 1024 step 512)) {
            smallDisk().use { box ->
                openWriter(box.run).use { it.save("best", 1, "old", best = true) }
                var step: StorageStep? = null
                openWriter(box.run) { step = it }.use { w ->
                    val outcome = runCatching { w.save("best", 2, best = true, files = bigModel(size)) }
                    outcomes[size] = if (outcome.isSuccess) "saved" else "out of space in ${step!!.name}"
                    withClue("size $size: ${outcomes[size]}") {
                        outcome.exceptionOrNull()?.shouldBeInstanceOf<IOException>()
                        leftovers(box.run).shouldBeEmpty()
                        val run = w.reader()
                        run.verify().allOk shouldBe true
                        run.best()!!.facts.epoch shouldBe (if (outcome.isSuccess) 2 else 1)
                    }
                }
                openWriter(box.run).use { w2 ->
                    withClue("size $size, reopened") {
                        leftovers(box.run).shouldBeEmpty()
                        w2.reader().verify().allOk shouldBe true
                    }
                }
            }
        }
        println("DiskFullTest sweep: " + outcomes.entries.joinToString { (size, outcome) -> "$size B $outcome" })
        withClue("outcomes by model size: $outcomes") {
            outcomes.values.toSet() shouldContainAll setOf(
                "saved",
                "out of space in ${StorageStep.WRITE_FILES}",
                "out of space in ${StorageStep.WRITE_METADATA}",
                "out of space in ${StorageStep.WRITE_MANIFEST_TEMP}",
            )
        }
    }
})

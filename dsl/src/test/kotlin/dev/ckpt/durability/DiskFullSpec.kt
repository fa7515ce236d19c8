package dev.ckpt.durability

import com.google.common.jimfs.Configuration
import com.google.common.jimfs.Jimfs
import dev.ckpt.CheckpointCallback
import dev.ckpt.Checkpoints
import dev.ckpt.kotlindl.Digits
import dev.ckpt.SaveErrorAction
import dev.ckpt.checkpoint
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.longs.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.io.IOException
import java.nio.file.FileSystem
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.name
import kotlin.streams.toList

/**
 * Disk full in the middle of training, through the callback: the run directory is on a size-limited Jimfs that
 * holds two full checkpoints of the fixture MLP but not three.
 */
class DiskFullSpec : FunSpec({
    val (train, valid) = (Digits.train() to Digits.validation())

    fun saver(fs: FileSystem, onError: SaveErrorAction, messages: MutableList<String> = ArrayList(), resume: Boolean = false): CheckpointCallback =
        checkpoint("runs/full/e{epoch:02d}") {
            monitor = "val_loss"
            onSaveError = onError
            directory = fs.getPath("/data")
            this.resume = resume
            onMessage { messages += it }
        }

    /** Bytes one checkpoint takes, measured on an unlimited Jimfs with the same block size. */
    val checkpointBytes: Long by lazy {
        Jimfs.newFileSystem(config(1L shl 30)).use { fs ->
            Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(saver(fs, SaveErrorAction.STOP))) }
            Files.walk(fs.getPath("/data/runs/full/e01")).use { files -> files.filter(Files::isRegularFile).toList().sumOf(Files::size) }
        }
    }

    /** Room for two checkpoints, the manifest and the lock, not for a third checkpoint. */
    fun smallDisk(): FileSystem = Jimfs.newFileSystem(config(checkpointBytes * 5 / 2))

    fun FileSystem.leftovers(): List<String> = Files.walk(getPath("/")).use { paths ->
        paths.map { it.name }.filter { ".ckpt-tmp-" in it || ".ckpt-bak-" in it }.toList()
    }

    fun FileSystem.run(): Checkpoints = Checkpoints.open(getPath("/data/runs/full"))

    test("with onSaveError = STOP the third save fails out of fit naming the checkpoint, and e01, e02 and the manifest survive") {
        checkpointBytes shouldBeGreaterThan 10_000L
        smallDisk().use { fs ->
            val error = shouldThrow<IOException> {
                Digits.newCompiledModel().use { it.fit(train, valid, 5, 32, 64, listOf(saver(fs, SaveErrorAction.STOP))) }
            }
            error.message shouldContain "could not save checkpoint /data/runs/full/e03"
            error.message shouldContain "earlier checkpoints and manifest.json are unchanged"
            val run = fs.run()
            run.all.map { it.path } shouldContainExactly listOf("e01", "e02")
            run.latest().path shouldBe "e02"
            run.verify().allOk shouldBe true
            fs.leftovers().shouldBeEmpty()
            Files.exists(fs.getPath("/data/runs/full/e03")) shouldBe false
        }
    }

    test("after a STOP the run is not left locked: once space is freed the same JVM resumes it and saves e03") {
        // Room for the ballast and two checkpoints, not three; freeing the ballast leaves room for two more, so the
        // resumed save does not depend on how long e03's numbers print (a checkpoint's size varies by a few percent).
        Jimfs.newFileSystem(config(checkpointBytes * 9 / 2)).use { fs ->
            val ballast = fs.getPath("/ballast.bin")
            Files.write(ballast, ByteArray(2 * checkpointBytes.toInt()))
            shouldThrow<IOException> {
                Digits.newCompiledModel().use { it.fit(train, valid, 5, 32, 64, listOf(saver(fs, SaveErrorAction.STOP))) }
            }.message shouldContain "e03"
            Files.delete(ballast)
            // KotlinDL does not call onTrainEnd when a callback throws: the callback itself must release the run.
            val resumed = saver(fs, SaveErrorAction.STOP, resume = true)
            Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(resumed)) }
            resumed.saved shouldContainExactly listOf("runs/full/e03")
            fs.run().all.map { it.path } shouldContainExactly listOf("e01", "e02", "e03")
            fs.run().verify().allOk shouldBe true
        }
    }

    test("with onSaveError = WARN_AND_CONTINUE training finishes, every failed save is reported, e01 and e02 survive") {
        smallDisk().use { fs ->
            val messages = ArrayList<String>()
            val history = Digits.newCompiledModel().use { it.fit(train, valid, 5, 32, 64, listOf(saver(fs, SaveErrorAction.WARN_AND_CONTINUE, messages))) }
            history.epochHistory shouldHaveSize 5
            val errors = messages.filter { it.startsWith("ERROR: ") }
            errors.map { it.substringAfter("saving ").substringBefore(" failed") } shouldContainExactly
                listOf("runs/full/e03", "runs/full/e04", "runs/full/e05")
            errors.first() shouldContain "training continues"
            val run = fs.run()
            run.all.map { it.path } shouldContainExactly listOf("e01", "e02")
            run.verify().allOk shouldBe true
            fs.leftovers().shouldBeEmpty()
        }
    }
})

private fun config(maxSize: Long): Configuration =
    Configuration.unix().toBuilder().setBlockSize(1024).setMaxSize(maxSize).build()

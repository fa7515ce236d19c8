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
 * Disk full in the middle of training, through the callback: the run directory is on a size-limited Jimfs, and right
 * before e03's commit (on the writer, once e02 is committed) a ballast file fills it to half a checkpoint's size of
 * free space. So e03 and every later save run out of space whatever the exact size of a checkpoint (it varies by a
 * few percent with how its numbers print), and no test depends on a size margin.
 */
class DiskFullSpec : FunSpec({
    val (train, valid) = (Digits.train() to Digits.validation())

    /** Bytes one checkpoint takes, measured on an unlimited Jimfs with the same block size. */
    var checkpointBytes = 0L

    /** Writes /ballast.bin so that half a checkpoint's size of space is left. */
    fun FileSystem.fill() {
        val free = Files.getFileStore(getPath("/")).unallocatedSpace
        Files.write(getPath("/ballast.bin"), ByteArray((free - checkpointBytes / 2).toInt()))
    }

    fun saver(
        fs: FileSystem,
        onError: SaveErrorAction,
        messages: MutableList<String> = ArrayList(),
        resume: Boolean = false,
        fillBefore: String? = "e03",
    ): CheckpointCallback =
        checkpoint("runs/full/e{epoch:02d}") {
            monitor = "val_loss"
            onSaveError = onError
            directory = fs.getPath("/data")
            this.resume = resume
            onMessage { messages += it }
        }.also { saver -> saver.beforeCommit = { path -> if (fillBefore != null && path.endsWith(fillBefore)) fs.fill() } }

    beforeSpec {
        checkpointBytes = Jimfs.newFileSystem(config(1L shl 30)).use { fs ->
            Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(saver(fs, SaveErrorAction.STOP))) }
            Files.walk(fs.getPath("/data/runs/full/e01")).use { files -> files.filter(Files::isRegularFile).toList().sumOf(Files::size) }
        }
    }

    /** Room for twenty checkpoints, until [fill] takes it. */
    fun disk(): FileSystem = Jimfs.newFileSystem(config(checkpointBytes * 20))

    fun FileSystem.leftovers(): List<String> = Files.walk(getPath("/")).use { paths ->
        paths.map { it.name }.filter { ".ckpt-tmp-" in it || ".ckpt-bak-" in it }.toList()
    }

    fun FileSystem.run(): Checkpoints = Checkpoints.open(getPath("/data/runs/full"))

    test("with onSaveError = STOP the third save fails out of fit naming the checkpoint, and e01, e02 and the manifest survive") {
        checkpointBytes shouldBeGreaterThan 10_000L
        disk().use { fs ->
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
        disk().use { fs ->
            shouldThrow<IOException> {
                Digits.newCompiledModel().use { it.fit(train, valid, 5, 32, 64, listOf(saver(fs, SaveErrorAction.STOP))) }
            }.message shouldContain "e03"
            Files.delete(fs.getPath("/ballast.bin"))
            // KotlinDL does not call onTrainEnd when a callback throws: the callback itself must release the run.
            val resumed = saver(fs, SaveErrorAction.STOP, resume = true, fillBefore = null)
            Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(resumed)) }
            resumed.saved shouldContainExactly listOf("runs/full/e03")
            fs.run().all.map { it.path } shouldContainExactly listOf("e01", "e02", "e03")
            fs.run().verify().allOk shouldBe true
        }
    }

    test("with onSaveError = WARN_AND_CONTINUE training finishes, every failed save is reported, e01 and e02 survive") {
        disk().use { fs ->
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

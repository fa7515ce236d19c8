package dev.ckpt.durability

import dev.ckpt.Checkpoints
import dev.ckpt.kotlindl.Digits
import dev.ckpt.checkpoint
import dev.ckpt.CorruptRunException
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.collections.shouldContainExactlyInAnyOrder
import io.kotest.matchers.collections.shouldNotBeEmpty
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.EpochTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.exists
import kotlin.io.path.isDirectory
import kotlin.io.path.readText
import kotlin.io.path.writeText
import kotlin.streams.toList

/**
 * Files ckpt did not write, planted in and beside checkpoint directories, survive retention; and what ckpt does
 * when the directory it is told to write into already holds things it did not write.
 */
class ForeignFilesSpec : FunSpec({
    val (train, valid) = (Digits.train() to Digits.validation())

    /** Plants a user file and a user subdirectory into each checkpoint right after it is committed. */
    class Planter(private val run: Path, private val planted: MutableMap<Path, String>) : Callback() {
        override fun onEpochEnd(epoch: Int, event: EpochTrainingEvent, logs: TrainingHistory) {
            val dir = run.resolve("e%02d".format(epoch))
            if (!dir.isDirectory()) return
            plant(dir.resolve("NOTES.md"), "my notes on epoch $epoch")
            Files.createDirectories(dir.resolve("eval"))
            plant(dir.resolve("eval/confusion.csv"), "1,0\n0,1 ($epoch)")
        }

        fun plant(file: Path, text: String) {
            file.writeText(text)
            planted[file] = text
        }
    }

    test("retention (keepLast = 1) deletes only ckpt's files: planted files and their directories survive, beside and inside") {
        val base = tempdir().toPath()
        val run = base.resolve("runs/f")
        Files.createDirectories(run)
        val planted = LinkedHashMap<Path, String>()
        val planter = Planter(run, planted)
        // Beside the checkpoints, including near misses of ckpt's own names (not its exact temp/backup pattern).
        planter.plant(run.resolve("README.txt"), "user file in the run directory")
        planter.plant(run.resolve("e01.txt"), "looks like a checkpoint name")
        planter.plant(run.resolve(".e02.ckpt-tmp-notours"), "near miss of a temp name")
        planter.plant(run.resolve(".manifest.json.ckpt-tmp-12345"), "near miss of a manifest temp name")
        planter.plant(base.resolve("runs/beside.txt"), "beside the run directory")

        // Written on the training thread, so that each checkpoint is in place when the planter runs after it.
        val saver = checkpoint("runs/f/e{epoch:02d}") { monitor = "val_loss"; keepLast = 1; directory = base; async = false }
        Digits.newCompiledModel().use { it.fit(train, valid, 5, 32, 64, listOf(saver, planter)) }

        val checkpoints = Checkpoints.open(run)
        val kept = checkpoints.all.map { it.path }
        val released = (1..5).map { "e%02d".format(it) } - kept.toSet()
        withClue("retention released something (kept: $kept)") { released.shouldNotBeEmpty() }
        for ((file, text) in planted) withClue("planted $file") { file.readText() shouldBe text }
        for (name in released) {
            withClue("released checkpoint $name keeps exactly the user's files") {
                filesUnder(run.resolve(name)) shouldContainExactlyInAnyOrder listOf("NOTES.md", "eval/confusion.csv")
            }
        }
        // Foreign files inside a kept checkpoint do not make it fail verification or loading.
        checkpoints.verify().allOk shouldBe true
        Digits.newCompiledModel().use { checkpoints.latest().loadWeightsInto(it) }
    }

    test("a new run starts in a directory that holds only user files, leaving them as they were") {
        val base = tempdir().toPath()
        val run = base.resolve("runs/n")
        Files.createDirectories(run.resolve("data"))
        run.resolve("data/train.csv").writeText("1,2,3")
        run.resolve("notes.txt").writeText("mine")
        val before = snapshot(run)

        val saver = checkpoint("runs/n/e{epoch:02d}") { directory = base }
        Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(saver)) }

        saver.saved shouldContainExactly listOf("runs/n/e01")
        snapshot(run).filterKeys { it in before } shouldBe before
    }

    test("a manifest.json that ckpt did not write stops the run before training, and stays as it was") {
        val base = tempdir().toPath()
        val run = base.resolve("runs/m")
        Files.createDirectories(run)
        run.resolve("manifest.json").writeText("""{"name": "my web app manifest"}""")
        val saver = checkpoint("runs/m/e{epoch:02d}") { directory = base }
        val error = shouldThrow<CorruptRunException> { Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(saver)) } }
        error.message shouldContain "formatVersion must be an integer"
        run.resolve("manifest.json").readText() shouldBe """{"name": "my web app manifest"}"""
        run.resolve("e01").exists() shouldBe false
    }

    test("a user directory at a checkpoint's path is never replaced: the save fails naming it, its files stay") {
        val base = tempdir().toPath()
        val run = base.resolve("runs/u")
        Files.createDirectories(run.resolve("e02"))
        run.resolve("e02/thesis.tex").writeText("\\chapter{Results}")
        val saver = checkpoint("runs/u/e{epoch:02d}") { directory = base }
        val error = shouldThrow<IOException> { Digits.newCompiledModel().use { it.fit(train, valid, 3, 32, 64, listOf(saver)) } }
        error.message shouldContain "${run.resolve("e02")} exists but is not a checkpoint ckpt wrote"
        filesUnder(run.resolve("e02")) shouldContainExactly listOf("thesis.tex")
        run.resolve("e02/thesis.tex").readText() shouldBe "\\chapter{Results}"
        Checkpoints.open(run).all.map { it.path } shouldContainExactly listOf("e01")
    }

    test("a checkpoint ckpt wrote but the user added files to is never overwritten at a fixed path") {
        val base = tempdir().toPath()
        val run = base.resolve("runs/b")
        fun saver() = checkpoint("runs/b/best") { monitor = "val_loss"; resume = true; directory = base }
        Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(saver())) }
        run.resolve("best/NOTES.md").writeText("annotated by hand")
        val error = shouldThrow<IOException> { Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(saver())) } }
        error.message shouldContain "holds files ckpt did not write (NOTES.md)"
        run.resolve("best/NOTES.md").readText() shouldBe "annotated by hand"
        Checkpoints.open(run).verify().allOk shouldBe true
    }
})

/** Relative paths of the regular files under [dir], sorted. */
private fun filesUnder(dir: Path): List<String> = Files.walk(dir).use { paths ->
    paths.filter(Files::isRegularFile).map { dir.relativize(it).joinToString("/") }.toList().sorted()
}

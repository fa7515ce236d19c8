package dev.ckpt.durability

import dev.ckpt.Checkpoints
import dev.ckpt.LoadOption
import dev.ckpt.kotlindl.Digits
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.longs.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import java.nio.file.Files
import kotlin.random.Random
import kotlin.streams.toList

/**
 * A JVM that exits while a background save is in flight: ckpt's shutdown hook waits for the save, so a normal exit
 * (System.exit, SIGTERM) never loses a decided checkpoint; and whatever a shutdown cuts, the run opens intact, with
 * no half-written checkpoint listed, and the next launch resumes it.
 */
class ShutdownSpec : FunSpec({
    test("System.exit while a save is in flight: the shutdown hook waits, and the save is committed and listed") {
        val base = tempdir().toPath()
        val child = ChildJvm.start(ShutdownTrainer::class.java.name, listOf(base.toString(), "exit"), base.resolveSibling("${base.fileName}-exit.log"))
        child.awaitLine("EXITING ${ShutdownTrainer.EXIT_STEP}")
        withClue(child.logTail()) { child.waitFor() shouldBe 0 }
        val run = Checkpoints.open(base.resolve("run"))
        run.latest().step shouldBe ShutdownTrainer.EXIT_STEP
        run.verify().allOk shouldBe true
    }

    test("SIGTERM at random moments never leaves a half-written checkpoint listed, and the next launch resumes") {
        val base = tempdir().toPath()
        val random = Random(20_261_129)
        var latest = 0L
        repeat(4) { launch ->
            val child = ChildJvm.start(ShutdownTrainer::class.java.name, listOf(base.toString(), "train"), base.resolveSibling("${base.fileName}-term.log"))
            child.awaitLine("TRAIN_BEGIN")
            child.awaitLine("SAVED ")
            Thread.sleep(random.nextLong(0, 1_000))
            child.terminate()
            val run = Checkpoints.open(base.resolve("run"))
            withClue("launch $launch: ${run.verify().results}") { run.verify().allOk shouldBe true }
            Digits.newCompiledModel().use { run.latest().loadWeightsInto(it, LoadOption.WITH_OPTIMIZER_STATE) }
            withClue("launch $launch continued the run") { run.latest().step shouldBeGreaterThan latest }
            latest = run.latest().step
        }
        Files.walk(base).use { paths -> paths.toList().map { it.fileName.toString() }.filter { ".ckpt-tmp-" in it || ".ckpt-bak-" in it } }
            .let { leftovers -> withClue("temporary files a shutdown cut are recognisable as such") { (leftovers.size <= 1) shouldBe true } }
        Files.list(base.resolve("run")).use { entries ->
            val listed = Checkpoints.open(base.resolve("run")).all.map { it.path }.toSet()
            entries.toList().filter { Files.isDirectory(it) && !it.fileName.toString().startsWith(".") && it.fileName.toString() !in listed }
        }.let { unlisted -> withClue("checkpoint directories the manifest does not list: $unlisted") { (unlisted.size <= 1) shouldBe true } }
    }
})

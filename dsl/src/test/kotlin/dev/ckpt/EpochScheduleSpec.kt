package dev.ckpt

import dev.ckpt.kotlindl.Digits
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import java.nio.file.Files
import java.time.Clock
import java.time.Duration
import java.time.Instant
import java.time.ZoneId
import java.time.ZoneOffset

/** `saveFrequency = everyEpochs(n)` and `keepOnePer` through KotlinDL's training loop. */
class EpochScheduleSpec : FunSpec({
    val (train, valid) = (Digits.train() to Digits.validation())

    test("everyEpochs(2) over 5 epochs saves exactly e02 and e04") {
        val dir = tempdir().toPath()
        val saver = checkpoint("runs/p2/e{epoch:02d}-{val_loss:.3f}") { saveFrequency = everyEpochs(2); directory = dir }
        Digits.newCompiledModel().use { it.fit(train, valid, 5, 32, 64, listOf(saver)) }
        saver.saved.map { it.substringAfter("runs/p2/").take(3) } shouldContainExactly listOf("e02", "e04")
        val run = Checkpoints.open(dir.resolve("runs/p2"))
        run.all.map { it.epoch } shouldContainExactly listOf(2, 4)
        run.verify().allOk shouldBe true
        Files.list(dir.resolve("runs/p2")).use { files -> files.map { it.fileName.toString() }.filter { it.startsWith("e") }.count() } shouldBe 2L
    }

    test("everyEpochs(5) over 10 epochs saves exactly e05 and e10") {
        val dir = tempdir().toPath()
        val saver = checkpoint("runs/p5/e{epoch:02d}") { saveFrequency = everyEpochs(5); directory = dir }
        Digits.newCompiledModel().use { it.fit(train, valid, 10, 32, 64, listOf(saver)) }
        saver.saved shouldContainExactly listOf("runs/p5/e05", "runs/p5/e10")
        Checkpoints.open(dir.resolve("runs/p5")).all.map { it.path } shouldContainExactly listOf("e05", "e10")
    }

    test("a resumed run keeps saving at multiples of N, with no save moved or doubled") {
        val dir = tempdir().toPath()
        fun saver(resume: Boolean) = checkpoint("runs/pr/e{epoch:02d}") {
            saveFrequency = everyEpochs(2); this.resume = resume; directory = dir
        }
        val first = saver(false)
        // Epoch 3 trains but is no save point: the resumed run continues from e02, as a crash after epoch 3 would.
        Digits.newCompiledModel().use { it.fit(train, valid, 3, 32, 64, listOf(first)) }
        val second = saver(true)
        Digits.newCompiledModel().use { it.fit(train, valid, 4, 32, 64, listOf(second)) }
        first.saved shouldContainExactly listOf("runs/pr/e02")
        second.saved shouldContainExactly listOf("runs/pr/e04", "runs/pr/e06")
        Checkpoints.open(dir.resolve("runs/pr")).all.map { it.epoch } shouldContainExactly listOf(2, 4, 6)
    }

    test("keepOnePer keeps one checkpoint per 6 hours of the training clock, across a resume") {
        val dir = tempdir().toPath()
        val clock = StepClock()
        // Listed before the saver, so each epoch's save is decided two hours after the previous one.
        val twoHoursPerEpoch = object : Callback() {
            override fun onEpochBegin(epoch: Int, logs: TrainingHistory) = clock.advance(Duration.ofHours(2))
        }
        fun saver(resume: Boolean) = checkpoint("runs/kp/e{epoch:02d}") {
            keepLast = 1; keepOnePer = Duration.ofHours(6); this.resume = resume; this.clock = clock; directory = dir
        }
        Digits.newCompiledModel().use { it.fit(train, valid, 5, 32, 64, listOf(twoHoursPerEpoch, saver(false))) }
        Digits.newCompiledModel().use { it.fit(train, valid, 5, 32, 64, listOf(twoHoursPerEpoch, saver(true))) }
        val run = Checkpoints.open(dir.resolve("runs/kp"))
        // Saved at hours 2, 4, ..., 20: the chain is e01 (2h), e04 (8h), e07 (14h), e10 (20h); the best stays too.
        run.all.map { it.path }.toSet() shouldBe setOf("e01", "e04", "e07", "e10", run.best().path)
        run.all.first { it.path == "e04" }.createdAt shouldBe Instant.EPOCH.plus(Duration.ofHours(8))
        (1..10).map { "e%02d".format(it) }.filter { it !in run.all.map { c -> c.path } }
            .forEach { Files.exists(dir.resolve("runs/kp/$it")) shouldBe false }
    }
})

/** A clock that moves only when the test moves it. */
private class StepClock : Clock() {
    @Volatile
    private var now: Instant = Instant.EPOCH

    fun advance(by: Duration) {
        now = now.plus(by)
    }

    override fun instant(): Instant = now

    override fun getZone(): ZoneId = ZoneOffset.UTC

    override fun withZone(zone: ZoneId?): Clock = throw UnsupportedOperationException("one zone")
}

package dev.ckpt.durability

import dev.ckpt.CheckpointCallback
import dev.ckpt.CheckpointStatus
import dev.ckpt.Checkpoints
import dev.ckpt.SaveErrorAction
import dev.ckpt.checkpoint
import dev.ckpt.core.engine.CheckpointEngine
import dev.ckpt.core.engine.Decision
import dev.ckpt.kotlindl.Digits
import dev.ckpt.storage.FileRunStore
import dev.ckpt.storage.RunWriter
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.longs.shouldBeGreaterThan
import io.kotest.matchers.longs.shouldBeGreaterThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.BatchTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.EpochTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import java.io.IOException
import java.nio.file.Files
import java.time.Clock
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicInteger

/**
 * Saves on the background writer (the default): decisions are the engine's as if saved inline, readers only ever see
 * committed checkpoints, failures surface at the next training event, train end and close() wait for the last save,
 * and the training thread's cost is accounted for.
 */
class BackgroundSaveSpec : FunSpec({
    val (train, valid) = Digits.train() to Digits.validation()

    /** The logs ckpt's callback saw at each epoch end, in its own naming. */
    class EpochLogs : Callback() {
        val logs = ArrayList<Map<String, Double>>()

        override fun onEpochEnd(epoch: Int, event: EpochTrainingEvent, logs: TrainingHistory) {
            this.logs += mapOf("loss" to event.lossValue, "accuracy" to event.metricValues[0]!!, "val_loss" to event.valLossValue!!,
                "val_accuracy" to event.valMetricValues!![0]!!)
        }
    }

    test("background saves decide exactly as the engine does inline on the same logs: same saves, same retention") {
        val dir = tempdir().toPath()
        val saver = checkpoint("runs/bg/e{epoch:02d}-{val_accuracy:.4f}") {
            monitor = "val_accuracy"; mode = MAX; saveBestOnly = true; keepBest = 2; directory = dir
        }
        val probe = EpochLogs()
        Digits.newCompiledModel().use { it.fit(train, valid, 8, 32, 64, listOf(saver, probe)) }

        val engine = CheckpointEngine.start(saver.policy, Clock.systemUTC())
        engine.onTrainBegin(null)
        val expected = ArrayList<String>()
        probe.logs.forEachIndexed { epoch, logs ->
            engine.onEpochBegin(epoch)
            val decision = engine.onEpochEnd(epoch, logs)
            if (decision is Decision.Save) {
                engine.apply(decision)
                expected += decision.path()
            }
        }
        saver.saved shouldContainExactly expected
        Checkpoints.open(dir.resolve("runs/bg")).all.map { it.path } shouldContainExactly engine.checkpoints().kept().map { it.path() }
    }

    test("a reader opening the run while it is written sees only committed checkpoints, every one intact") {
        val dir = tempdir().toPath()
        val run = dir.resolve("runs/live")
        val saver = checkpoint("runs/live/s{step:04d}") { monitor = "loss"; saveFrequency = everyBatches(2); keepLast = 3; directory = dir }
        val stop = AtomicBoolean(false)
        val opened = AtomicInteger()
        val problems = java.util.Collections.synchronizedList(ArrayList<String>())
        val reader = Thread {
            while (!stop.get()) {
                if (!Files.exists(run.resolve("manifest.json"))) continue
                try {
                    val view = Checkpoints.open(run)
                    for ((path, status) in view.verify().results.map { it.path to it.status }) {
                        // Retention may release (delete) a checkpoint after this snapshot was taken: a later state,
                        // not a half-written one. A checkpoint the run still lists must verify.
                        if (status != CheckpointStatus.Ok && Checkpoints.open(run).all.any { it.path == path }) problems += "$path: $status"
                    }
                    opened.incrementAndGet()
                } catch (e: IOException) {
                    problems += e.toString()
                }
            }
        }
        reader.start()
        try {
            Digits.newCompiledModel().use { it.fit(train, valid, 3, 32, 64, listOf(saver)) }
        } finally {
            stop.set(true)
            reader.join()
        }
        problems.shouldBeEmpty()
        opened.get().toLong() shouldBeGreaterThan 0L
        Checkpoints.open(run).verify().allOk shouldBe true
    }

    test("a save held in flight makes the next save point wait, and the verbose message says how long") {
        val dir = tempdir().toPath()
        val messages = ArrayList<String>()
        val saver = checkpoint("runs/wait/s{step:03d}") {
            monitor = "loss"; saveFrequency = everyBatches(5); verbose = true; directory = dir; onMessage { messages += it }
        }
        // s005's commit is held until the training thread is parked at the s010 save point, waiting for it, and then
        // for HOLD_MILLIS more: the wait is at least that long however slow the machine is (50x the 1 ms from which
        // ckpt reports a wait).
        val atSecondSavePoint = CountDownLatch(1)
        var trainingThread: Thread? = null
        val marker = object : Callback() {
            private var batches = 0
            override fun onTrainBatchEnd(batch: Int, batchSize: Int, event: BatchTrainingEvent, logs: TrainingHistory) {
                if (++batches == 10) {
                    trainingThread = Thread.currentThread()
                    atSecondSavePoint.countDown()
                }
            }
        }
        saver.beforeCommit = { path ->
            if (path.endsWith("s005")) {
                check(atSecondSavePoint.await(120, TimeUnit.SECONDS)) { "training never reached its 10th batch" }
                awaitParked(trainingThread!!)
                Thread.sleep(HOLD_MILLIS)
            }
        }
        Digits.newCompiledModel().use { it.fit(train, 1, 32, listOf(marker, saver)) }
        val second = messages.first { "saving model to" in it && it.contains("s010") }
        second shouldContain "(after waiting "
        second shouldContain " ms for the previous save)"
        second.substringAfter("(after waiting ").substringBefore(" ms").toLong() shouldBeGreaterThanOrEqual HOLD_MILLIS
        saver.stats.waitNanos shouldBeGreaterThanOrEqual HOLD_MILLIS * 1_000_000L
    }

    test("a background save that fails stops training at the next event with STOP; nothing is left half-written") {
        val dir = tempdir().toPath()
        val saver = checkpoint("runs/fail/e{epoch:02d}") { monitor = "val_loss"; directory = dir }
        saver.beforeCommit = { path -> if (path.endsWith("e02")) throw IOException("the disk is gone") }
        val epochs = EpochLogs()
        val error = shouldThrow<IOException> { Digits.newCompiledModel().use { it.fit(train, valid, 6, 32, 64, listOf(saver, epochs)) } }
        error.message shouldBe "the disk is gone"
        (epochs.logs.size <= 3) shouldBe true // reported at the first event after the failure, not at train end
        val run = Checkpoints.open(dir.resolve("runs/fail"))
        run.all.map { it.path } shouldContainExactly listOf("e01")
        run.verify().allOk shouldBe true
        RunWriter.open(FileRunStore(dir.resolve("runs/fail")), "fp").close() // the run is not left locked
        saver.stats.failures shouldBe 1
    }

    test("with WARN_AND_CONTINUE a failed background save is reported and training goes on saving") {
        val dir = tempdir().toPath()
        val messages = ArrayList<String>()
        val saver = checkpoint("runs/warn/e{epoch:02d}") {
            monitor = "val_loss"; onSaveError = SaveErrorAction.WARN_AND_CONTINUE; directory = dir; onMessage { messages += it }
        }
        saver.beforeCommit = { path -> if (path.endsWith("e02")) throw IOException("the disk is gone") }
        Digits.newCompiledModel().use { it.fit(train, valid, 3, 32, 64, listOf(saver)) }
        saver.saved.map { it.substringAfterLast('/') } shouldContainExactly listOf("e01", "e03")
        messages.single { it.startsWith("ERROR: ") } shouldBe
            "ERROR: saving runs/warn/e02 failed; training continues (onSaveError = WARN_AND_CONTINUE): the disk is gone"
    }

    test("train end waits for the last save: after fit returns every save is committed and counted") {
        val dir = tempdir().toPath()
        val saver = checkpoint("runs/end/e{epoch:02d}") { monitor = "val_loss"; directory = dir }
        saver.beforeCommit = { path -> if (path.endsWith("e03")) Thread.sleep(300) }
        Digits.newCompiledModel().use { it.fit(train, valid, 3, 32, 64, listOf(saver)) }
        saver.saved shouldHaveSize 3
        Checkpoints.open(dir.resolve("runs/end")).latest().path shouldBe "e03"
        saver.stats.saves shouldBe 3
        saver.stats.writeNanos shouldBeGreaterThan 0L
        saver.stats.trainingThreadNanos shouldBeGreaterThan 0L
    }

    test("when another callback ends fit with an exception, close() waits for the save in flight and releases the run") {
        val dir = tempdir().toPath()
        val saver = checkpoint("runs/close/e{epoch:02d}") { monitor = "val_loss"; directory = dir }
        saver.beforeCommit = { path -> if (path.endsWith("e01")) Thread.sleep(300) }
        val breaker = object : Callback() {
            var epochsEnded = 0

            override fun onEpochEnd(epoch: Int, event: EpochTrainingEvent, logs: TrainingHistory) {
                epochsEnded++
            }

            override fun onTrainBatchEnd(batch: Int, batchSize: Int, event: BatchTrainingEvent, logs: TrainingHistory) {
                if (epochsEnded == 1) error("user callback failed")
            }
        }
        shouldThrow<IllegalStateException> { Digits.newCompiledModel().use { it.fit(train, valid, 3, 32, 64, listOf(saver, breaker)) } }
        saver.close()
        Checkpoints.open(dir.resolve("runs/close")).all.map { it.path } shouldContainExactly listOf("e01")
        RunWriter.open(FileRunStore(dir.resolve("runs/close")), "fp").close()
    }

    test("saving inline (async = false) writes on the training thread and never waits") {
        val dir = tempdir().toPath()
        val saver: CheckpointCallback = checkpoint("runs/inline/e{epoch:02d}") { monitor = "val_loss"; async = false; directory = dir }
        Digits.newCompiledModel().use { it.fit(train, valid, 2, 32, 64, listOf(saver)) }
        saver.saved shouldHaveSize 2
        saver.stats.waitNanos shouldBe 0L
        (saver.stats.trainingThreadNanos >= saver.stats.writeNanos) shouldBe true
    }
})

private const val HOLD_MILLIS = 50L

/** Returns once [thread] is parked (waiting for a save in flight); fails if it is not within two minutes. */
private fun awaitParked(thread: Thread) {
    val deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2)
    while (thread.state != Thread.State.WAITING && thread.state != Thread.State.TIMED_WAITING) {
        check(System.nanoTime() < deadline) { "the training thread did not wait for the save in flight: ${thread.state}" }
        Thread.sleep(1) // polls a state the test cannot be told about; no margin rides on it
    }
}

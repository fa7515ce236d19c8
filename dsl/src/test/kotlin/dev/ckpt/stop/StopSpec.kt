package dev.ckpt.stop

import dev.ckpt.CheckpointCallback
import dev.ckpt.Checkpoints
import dev.ckpt.checkpoint
import dev.ckpt.durability.MidEpochPolicy
import dev.ckpt.kotlindl.Digits
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.nulls.shouldBeNull
import io.kotest.matchers.nulls.shouldNotBeNull
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.BatchTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import java.nio.file.Files
import java.time.Duration
import java.time.Instant
import java.util.Collections
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread

/**
 * The resume point and stop requests, in process: a save-best-only run stopped after epochs that did not improve
 * resumes where it stopped (no epoch trained twice); a pause asked from another thread stops at the next batch
 * end, and a second `fit` finishes the run exactly; a stop whose commit is held past `stopDeadline` says so and
 * leaves the previous committed state intact. The digits split has 45 batches of 32 per epoch.
 */
class StopSpec : FunSpec({
    val (train, valid) = Digits.train() to Digits.validation()

    /** Counts batches per run epoch (KotlinDL numbers each fit's epochs from 1: [offset] maps them to the run's). */
    class Counter(private val offset: Int = 0) : Callback() {
        val batchesByEpoch = sortedMapOf<Int, Int>()
        private var currentEpoch = 0

        override fun onEpochBegin(epoch: Int, logs: TrainingHistory) {
            currentEpoch = epoch
        }

        override fun onTrainBatchEnd(batch: Int, batchSize: Int, event: BatchTrainingEvent, logs: TrainingHistory) {
            batchesByEpoch.merge(offset + currentEpoch, 1, Int::plus)
        }
    }

    /** Asks [saver] to stop in the [epoch]-th epoch's [batch]-th batch end (1-based, of this fit). */
    class AskStop(private val saver: CheckpointCallback, private val epoch: Int, private val batch: Int, private val reason: String) : Callback() {
        private var e = 0

        override fun onEpochBegin(epoch: Int, logs: TrainingHistory) {
            e = epoch
        }

        override fun onTrainBatchEnd(batch: Int, batchSize: Int, event: BatchTrainingEvent, logs: TrainingHistory) {
            if (e == epoch && batch + 1 == this.batch) saver.requestStop(reason)
        }
    }

    fun bestOnly(dir: java.nio.file.Path, messages: MutableList<String> = mutableListOf()): CheckpointCallback =
        // loss only falls, so with mode = MAX only the first epoch improves: every later epoch saves nothing.
        checkpoint("run/e{epoch:02d}") {
            monitor = "loss"; mode = MAX; saveBestOnly = true; keepLast = 1; resume = true; directory = dir
            onMessage { messages += it }
        }

    test("a save-best-only run stopped after epochs that did not improve resumes from its resume point: no epoch trains twice") {
        val dir = tempdir().toPath()
        val first = Counter()
        val saver = bestOnly(dir)
        val began = Instant.now()
        Digits.newCompiledModel().use { saver.fit(it, train, valid, 5, 32, 64, listOf(first, AskStop(saver, 3, 45, "test"))) }
        val ended = Instant.now()
        val stopped = saver.stopped.shouldNotBeNull()
        withClue("a request in an epoch's last batch is served at that epoch's end") { stopped.batch.shouldBeNull() }
        stopped.epoch shouldBe 3
        stopped.resumePoint shouldBe "resume-e0003-end-s000135"
        val afterStop = Checkpoints.open(dir.resolve("run"))
        afterStop.all.map { it.path } shouldContainExactly listOf("e01")
        afterStop.best().path shouldBe "e01"
        val point = afterStop.resumePoint.shouldNotBeNull()
        point.path shouldBe "resume-e0003-end-s000135"
        point.isResumePoint shouldBe true
        point.isBest shouldBe false
        withClue("the resume point's createdAt is when the engine proposed it, not a placeholder") {
            (point.createdAt in began..ended) shouldBe true
        }
        afterStop.verify().allOk shouldBe true

        val second = Counter(offset = 3)
        val relaunch = mutableListOf<String>()
        val again = bestOnly(dir, relaunch)
        Digits.newCompiledModel().use { again.fit(it, train, valid, 5, 32, 64, listOf(second)) }
        again.stopped.shouldBeNull()
        withClue("the model continues from the resume point, not from the best") {
            relaunch shouldContain "resume: restored the resume point resume-e0003-end-s000135 (epoch 3, step 135)"
        }
        first.batchesByEpoch.toMap() shouldBe mapOf(1 to 45, 2 to 45, 3 to 45)
        withClue("the relaunch trains epochs 4 and 5 only") { second.batchesByEpoch.toMap() shouldBe mapOf(4 to 45, 5 to 45) }
        val done = Checkpoints.open(dir.resolve("run"))
        done.all.map { it.path } shouldContainExactly listOf("e01")
        withClue("a finished run keeps its last resume point; the previous one is released after it commits") {
            done.resumePoint?.path shouldBe "resume-e0005-end-s000225"
            Files.exists(dir.resolve("run/resume-e0003-end-s000135")) shouldBe false
            done.pendingReleases shouldBe emptyList()
        }
    }

    test("a stop inside an epoch under an epoch-level policy: KotlinDL's end of that epoch saves and counts nothing") {
        val dir = tempdir().toPath()
        val first = Counter()
        val saver = bestOnly(dir)
        Digits.newCompiledModel().use { saver.fit(it, train, valid, 3, 32, 64, listOf(first, AskStop(saver, 2, 10, "test"))) }
        saver.stopped.shouldNotBeNull().resumePoint shouldBe "resume-e0002-b0011-s000056"
        val stopped = Checkpoints.open(dir.resolve("run"))
        stopped.all.map { it.path } shouldContainExactly listOf("e01")
        stopped.resumePoint?.path shouldBe "resume-e0002-b0011-s000056"
        stopped.history().map { it.epoch } shouldBe listOf(1)
        val second = Counter(offset = 1)
        Digits.newCompiledModel().use { bestOnly(dir).fit(it, train, valid, 3, 32, 64, listOf(second)) }
        withClue("the relaunch trains the 34 batches left in epoch 2, then epoch 3") {
            (first.batchesByEpoch.values.sum() + second.batchesByEpoch.values.sum()) shouldBe 3 * 45
            second.batchesByEpoch.values.sum() shouldBe 34 + 45
        }
    }

    test("requestStop from another thread stops at the next batch end; a second fit finishes the run exactly") {
        val straightDir = tempdir().toPath()
        val straight = MidEpochPolicy.callback(straightDir)
        val straightCount = Counter()
        Digits.newCompiledModel().use { straight.fit(it, train, valid, MidEpochPolicy.EPOCHS, 32, 64, listOf(straightCount)) }

        val dir = tempdir().toPath()
        val saver = MidEpochPolicy.callback(dir)
        val reached = CountDownLatch(1)
        val asked = CountDownLatch(1)
        val pauser = thread(name = "pauser") {
            reached.await()
            saver.requestStop("pause")
            asked.countDown()
        }
        // The training thread waits, after its 20th batch, until the other thread has asked: the stop lands at batch 21.
        val gate = object : Callback() {
            var batches = 0

            override fun onTrainBatchEnd(batch: Int, batchSize: Int, event: BatchTrainingEvent, logs: TrainingHistory) {
                if (++batches == 20) {
                    reached.countDown()
                    check(asked.await(600, TimeUnit.SECONDS)) { "the pausing thread did not ask within 600 s" }
                }
            }
        }
        val first = Counter()
        Digits.newCompiledModel().use { saver.fit(it, train, valid, MidEpochPolicy.EPOCHS, 32, 64, listOf(first, gate)) }
        pauser.join()
        val report = saver.stopped.shouldNotBeNull()
        report.reason shouldBe "pause"
        report.epoch shouldBe 1
        report.batch shouldBe 21
        report.resumePoint shouldBe "resume-e0001-b0021-s000021"
        withClue("KotlinDL's end of the stopped epoch is not counted") { first.batchesByEpoch.toMap() shouldBe mapOf(1 to 21) }

        val rest = Counter()
        val again = MidEpochPolicy.callback(dir)
        Digits.newCompiledModel().use { again.fit(it, train, valid, MidEpochPolicy.EPOCHS, 32, 64, listOf(rest)) }
        val trained = (first.batchesByEpoch.values + rest.batchesByEpoch.values).sum()
        trained shouldBe straightCount.batchesByEpoch.values.sum()
        (saver.saved + again.saved) shouldContainExactly straight.saved
        val run = Checkpoints.open(dir.resolve(MidEpochPolicy.RUN))
        run.all.map { it.path to it.step } shouldContainExactly Checkpoints.open(straightDir.resolve(MidEpochPolicy.RUN)).all.map { it.path to it.step }
        withClue("the last checkpoint is newer than the resume point, so its commit released it") { run.resumePoint.shouldBeNull() }
    }

    test("a stop whose commit cannot finish before stopDeadline leaves the previous state intact and says so") {
        val dir = tempdir().toPath()
        val messages: MutableList<String> = Collections.synchronizedList(mutableListOf())
        val saver = MidEpochPolicy.callback(dir) { stopDeadline = Duration.ofMillis(1); onMessage { messages += it } }
        val entered = CountDownLatch(1)
        val release = CountDownLatch(1)
        saver.beforeCommit = { path ->
            if (path.startsWith("resume-")) {
                entered.countDown()
                check(release.await(600, TimeUnit.SECONDS)) { "the test did not release the commit within 600 s" }
            }
        }
        val asker = object : Callback() {
            var batches = 0

            override fun onTrainBatchEnd(batch: Int, batchSize: Int, event: BatchTrainingEvent, logs: TrainingHistory) {
                if (++batches == 20) saver.requestStop("SIGTERM (simulated)")
            }
        }
        var failure: Throwable? = null
        val training = thread(name = "training") {
            try {
                Digits.newCompiledModel().use { saver.fit(it, train, valid, MidEpochPolicy.EPOCHS, 32, 64, listOf(asker)) }
            } catch (e: Throwable) {
                failure = e
            }
        }
        check(entered.await(600, TimeUnit.SECONDS)) { "the resume point's commit did not start within 600 s" }
        withClue("the commit is held: the deadline passes") { saver.awaitStop().shouldBeNull() }
        messages.last() shouldBe "WARNING: stop: the resume point was not committed within 1 ms (stopDeadline); the JVM exits " +
            "now and the run stays at its latest committed state, e01-b15-s015, intact"
        val during = Checkpoints.open(dir.resolve(MidEpochPolicy.RUN))
        during.latest().path shouldBe "e01-b15-s015"
        during.resumePoint.shouldBeNull()
        during.verify().allOk shouldBe true
        release.countDown()
        training.join()
        failure.shouldBeNull()
        saver.stopped.shouldNotBeNull().resumePoint shouldBe "resume-e0001-b0021-s000021"
        messages shouldContain "stop: SIGTERM (simulated) received; saving at epoch 1, batch 21 (step 21), then stopping"
        messages.single { it.startsWith("stop: committed resume point ") } shouldContain "resume-e0001-b0021-s000021 in "
        messages.last() shouldBe "stop: training stopped at epoch 1, batch 21 (step 21); run the same program again to continue " +
            "from resume-e0001-b0021-s000021 (resume = true)"
    }

    test("a stop that training ends before serving is dropped at its end, and one asked between trainings is ignored: neither stops a later fit") {
        val dir = tempdir().toPath()
        val messages: MutableList<String> = Collections.synchronizedList(mutableListOf())
        val saver = bestOnly(dir, messages)
        // saver.fit calls this callback's onTrainEnd after the last batch end, while the run is still open.
        val late = object : Callback() {
            override fun onTrainEnd(logs: TrainingHistory) {
                saver.requestStop("late pause")
            }
        }
        Digits.newCompiledModel().use { saver.fit(it, train, valid, 1, 32, 64, listOf(late)) }
        saver.stopped.shouldBeNull()
        messages shouldContain "stop: late pause came after the last batch end of this training, which ended without serving it; the " +
            "request is dropped (it will not stop a later fit) and the run stays at e01"
        saver.requestStop("idle pause")
        messages.last() shouldBe "stop: requestStop(\"idle pause\") while no training of ${dir.resolve("run")} is in progress; " +
            "there is nothing to stop, so it is ignored"
        val second = Counter(offset = 1)
        Digits.newCompiledModel().use { saver.fit(it, train, valid, 2, 32, 64, listOf(second)) }
        withClue("the next fit trains its whole epoch: no request left from before stops it at its first batch") {
            saver.stopped.shouldBeNull()
            second.batchesByEpoch.toMap() shouldBe mapOf(2 to 45)
        }
    }
})

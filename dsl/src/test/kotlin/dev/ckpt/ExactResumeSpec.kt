package dev.ckpt

import dev.ckpt.durability.ChildJvm
import dev.ckpt.durability.MidEpochPolicy
import dev.ckpt.durability.MidEpochTrainer
import dev.ckpt.kotlindl.DataFingerprint
import dev.ckpt.kotlindl.Digits
import dev.ckpt.kotlindl.Models
import dev.ckpt.storage.DataFacts
import dev.ckpt.storage.FileRunStore
import dev.ckpt.storage.RunReader
import dev.ckpt.storage.StoredEngineState
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.BatchTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import org.jetbrains.kotlinx.dl.dataset.OnHeapDataset
import java.nio.file.Path

/**
 * [CheckpointCallback.fit] resumes a run stopped at a batch-level checkpoint without training a batch twice: the
 * stopped and the resumed call together train exactly the batches of an uninterrupted run (counted by a callback,
 * batch sizes included) and save the same checkpoints, by name and step, with the same engine counters. Names come
 * from `e{epoch}-b{batch}-s{step}` ([MidEpochPolicy]: a checkpoint every 15 batches; the digits split has 45 batches
 * of 32 per epoch, the last one of 29), never from metric values, which differ between any two trainings.
 */
class ExactResumeSpec : FunSpec({
    val (train, valid) = Digits.train() to Digits.validation()

    class Counter : Callback() {
        var batches = 0

        override fun onTrainBatchEnd(batch: Int, batchSize: Int, event: BatchTrainingEvent, logs: TrainingHistory) {
            batches++
        }
    }

    class Stop : RuntimeException("stopped by the test")

    /** Ends training after its [at]-th batch: by throwing, as a crash would, or through `model.stopTraining`. */
    class StopAt(private val at: Int, private val gently: Boolean = false) : Callback() {
        private var batches = 0

        override fun onTrainBatchEnd(batch: Int, batchSize: Int, event: BatchTrainingEvent, logs: TrainingHistory) {
            if (++batches != at) return
            if (gently) Models.boundTo(this).stopTraining = true else throw Stop()
        }
    }

    fun fit(saver: CheckpointCallback, vararg callbacks: Callback): TrainingHistory =
        Digits.newCompiledModel().use { saver.fit(it, train, valid, MidEpochPolicy.EPOCHS, 32, 64, callbacks.toList()) }

    fun runOf(dir: Path): Checkpoints = Checkpoints.open(dir.resolve(MidEpochPolicy.RUN))

    fun counters(dir: Path): List<Number> {
        val manifest = RunReader.open(FileRunStore(dir.resolve(MidEpochPolicy.RUN))).manifest
        val s = StoredEngineState.of(manifest.engineState!!, "manifest.json")
        return listOf(s.currentEpoch, s.completedEpochs, s.lastBatchSeen, s.batchesSinceSave, s.globalStep)
    }

    val straightDir = tempdir().toPath()
    val straightSaver = MidEpochPolicy.callback(straightDir)
    val straightCount = Counter()
    val straightHistory = fit(straightSaver, straightCount)
    val straightRun = runOf(straightDir)

    /**
     * A run whose first call was stopped right after its [stopAt]-th batch, and that batch's checkpoint; [firstHalf]
     * lists the run's checkpoints then (on disk: a save still in flight when the exception struck is committed by
     * the callback's abort, but never reported to it).
     */
    class Stopped(val dir: Path, val firstHalf: List<String>, val count: Counter)

    fun stopped(stopAt: Int): Stopped {
        val dir = tempdir().toPath()
        val count = Counter()
        shouldThrow<Stop> { fit(MidEpochPolicy.callback(dir), count, StopAt(stopAt)) }
        return Stopped(dir, runOf(dir).all.map { it.path }, count)
    }

    /** [stopped], then resumed by the same call with a fresh model and callback, as a restarted process does. */
    class Resumed(val stopped: Stopped, val second: CheckpointCallback, val history: TrainingHistory, val messages: List<String>)

    val resumed = HashMap<Int, Resumed>()
    fun resumedAfter(stopAt: Int): Resumed = resumed.getOrPut(stopAt) {
        val s = stopped(stopAt)
        val messages = ArrayList<String>()
        val second = MidEpochPolicy.callback(s.dir) { onMessage { messages += it } }
        Resumed(s, second, fit(second, s.count), messages)
    }

    test("the uninterrupted run trains 3 epochs of 45 batches and saves after every 15th, numbered by epoch, batch and step") {
        straightCount.batches shouldBe 135
        straightSaver.saved.map { it.substringAfterLast('/') } shouldContainExactly listOf(
            "e01-b15-s015", "e01-b30-s030", "e01-b45-s045", "e02-b15-s060", "e02-b30-s075", "e02-b45-s090",
            "e03-b15-s105", "e03-b30-s120", "e03-b45-s135",
        )
        straightHistory.epochHistory.map { it.epochIndex } shouldContainExactly listOf(1, 2, 3)
    }

    context("a run stopped at a batch-level checkpoint and resumed trains as many batches as the uninterrupted run and saves the same checkpoints") {
        withData(nameFn = { "stopped after batch $it of 135" }, 15, 45, 60, 135) { stopAt ->
            val run = resumedAfter(stopAt)
            run.stopped.count.batches shouldBe straightCount.batches
            val straightPaths = straightRun.all.map { it.path }
            run.stopped.firstHalf shouldContainExactly straightPaths.take(stopAt / 15)
            run.second.saved.map { it.removePrefix(MidEpochPolicy.RUN + "/") } shouldContainExactly straightPaths.drop(stopAt / 15)
            runOf(run.stopped.dir).all.map { it.path to it.step } shouldContainExactly straightRun.all.map { it.path to it.step }
            counters(run.stopped.dir) shouldBe counters(straightDir)
        }
    }

    test("the resumed call's history is numbered as the run is: epoch 2 from its 16th batch, then epoch 3") {
        val history = resumedAfter(60).history
        history.epochHistory.map { it.epochIndex } shouldContainExactly listOf(2, 3)
        history.batchHistory.size shouldBe 75
        history.batchHistory.first().let { it.epochIndex to it.batchIndex } shouldBe (2 to 15)
        history.batchHistory.last().let { it.epochIndex to it.batchIndex } shouldBe (3 to 44)
    }

    test("resuming inside an epoch says which batches it trains") {
        resumedAfter(60).messages shouldContain
            "resume: epoch 2 stopped after batch 15 of 45; training its 30 remaining batches (examples 480 to 1436), not the whole epoch"
    }

    test("resuming after an epoch's last batch, before its end, ends the epoch without training") {
        resumedAfter(45).messages shouldContain "resume: all 45 batches of epoch 1 were trained before its checkpoint; it ends without training"
    }

    test("resuming a run that has all its epochs trains nothing and says so") {
        val run = resumedAfter(135)
        run.history.batchHistory shouldBe emptyList()
        run.messages shouldContain "fit: the run has 3 epochs already, epochs = 3; nothing to train"
    }

    test("batch-level checkpoints saved by fit(model, ...) record the data's size, batch size and fingerprint") {
        val reader = RunReader.open(FileRunStore(straightDir.resolve(MidEpochPolicy.RUN)))
        reader.checkpoints.map { it.facts.data }.distinct() shouldContainExactly listOf(DataFacts(1437, 32, DataFingerprint.of(train)))
    }

    test("resuming inside an epoch with the data in another order is refused, naming both, and leaves the run resumable") {
        val s = stopped(60)
        val shuffled = Digits.train().shuffle()
        val error = shouldThrow<IllegalArgumentException> {
            Digits.newCompiledModel().use { MidEpochPolicy.callback(s.dir).fit(it, shuffled, valid, 3, 32, 64) }
        }
        error.message shouldBe "fit: checkpoint e02-b15-s060 was saved after batch 15 of epoch 2 of 1437 examples in batches of 32 " +
            "(fingerprint ${DataFingerprint.of(train)}); the training data now is 1437 examples in batches of 32 " +
            "(fingerprint ${DataFingerprint.of(shuffled)}). Resuming inside an epoch skips the batches the checkpoint holds, " +
            "so it needs the same examples in the same order and the same batch size: pass that data, or start a new run in another directory"
        runOf(s.dir).latest().path shouldBe "e02-b15-s060"
        fit(MidEpochPolicy.callback(s.dir), s.count)
        s.count.batches shouldBe 135
    }

    test("resuming inside an epoch with another batch size or fewer examples is refused, naming both") {
        val s = stopped(60)
        val otherBatch = shouldThrow<IllegalArgumentException> {
            Digits.newCompiledModel().use { MidEpochPolicy.callback(s.dir).fit(it, train, valid, 3, 16, 64) }
        }
        otherBatch.message!!.substringBefore(". Resuming") shouldBe "fit: checkpoint e02-b15-s060 was saved after batch 15 of epoch 2 " +
            "of 1437 examples in batches of 32 (fingerprint ${DataFingerprint.of(train)}); the training data now is 1437 examples " +
            "in batches of 16 (fingerprint ${DataFingerprint.of(train)})"
        val fewer = valid
        val smaller = shouldThrow<IllegalArgumentException> {
            Digits.newCompiledModel().use { MidEpochPolicy.callback(s.dir).fit(it, fewer, valid, 3, 32, 64) }
        }
        smaller.message!!.substringAfter("; ").substringBefore(". Resuming") shouldBe
            "the training data now is ${fewer.xSize()} examples in batches of 32 (fingerprint ${DataFingerprint.of(fewer)})"
    }

    test("a plain model.fit resuming inside an epoch warns that the epoch's first batches train again") {
        val s = stopped(60)
        val messages = ArrayList<String>()
        Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(MidEpochPolicy.callback(s.dir) { onMessage { m -> messages += m } })) }
        messages shouldContain "WARNING: resume: the latest checkpoint is inside epoch 2, after batch 15; model.fit trains that " +
            "epoch again from its first batch, so 15 batches train twice. CheckpointCallback.fit(model, ...) trains only the rest of the epoch"
    }

    test("a run stopped under model.fit resumes under fit(model, ...) without repeating a batch, warning that the data is unchecked") {
        val dir = tempdir().toPath()
        val count = Counter()
        // stopTraining ends the epoch early; the run's latest commit is still the one after batch 60.
        Digits.newCompiledModel().use { it.fit(train, valid, 3, 32, 64, listOf(MidEpochPolicy.callback(dir), count, StopAt(60, gently = true))) }
        count.batches shouldBe 60
        val messages = ArrayList<String>()
        fit(MidEpochPolicy.callback(dir) { onMessage { messages += it } }, count)
        count.batches shouldBe 135
        runOf(dir).all.map { it.path to it.step } shouldContainExactly straightRun.all.map { it.path to it.step }
        messages shouldContain "WARNING: resume: checkpoint e02-b15-s060 was saved after batch 15 of epoch 2 by model.fit, which " +
            "records no data facts; ckpt skips the first 15 batches of 32 examples of the data given without checking that it " +
            "is the same data in the same order"
    }

    test("a run stopped under model.fit and resumed with fewer batches than its checkpoint is past is refused") {
        val dir = tempdir().toPath()
        Digits.newCompiledModel().use { it.fit(train, valid, 3, 32, 64, listOf(MidEpochPolicy.callback(dir), StopAt(60, gently = true))) }
        val error = shouldThrow<IllegalArgumentException> { Digits.newCompiledModel().use { MidEpochPolicy.callback(dir).fit(it, valid, 3, 32) } }
        error.message shouldBe "fit: checkpoint e02-b15-s060 was saved after batch 15 of epoch 2, but the training data has only " +
            "12 batches of 32 (360 examples); pass the data that epoch trained on"
        runOf(dir).latest().path shouldBe "e02-b15-s060"
    }

    test("a run killed (SIGKILL) right after a mid-epoch checkpoint resumes without repeating a batch") {
        val dir = tempdir().toPath()
        val child = ChildJvm.start(MidEpochTrainer::class.java.name, listOf(dir.toString(), "60"), tempdir().toPath().resolve("child.log"))
        val trained = try {
            child.awaitLine("STOPPED ").removePrefix("STOPPED ").toInt()
        } finally {
            child.kill()
        }
        val count = Counter()
        fit(MidEpochPolicy.callback(dir), count)
        trained + count.batches shouldBe straightCount.batches
        runOf(dir).all.map { it.path to it.step } shouldContainExactly straightRun.all.map { it.path to it.step }
        counters(dir) shouldBe counters(straightDir)
    }

    test("a model.stopTraining while finishing an interrupted epoch keeps the later epochs from starting, and says so") {
        val s = stopped(60)
        val messages = ArrayList<String>()
        fit(MidEpochPolicy.callback(s.dir) { onMessage { messages += it } }, s.count, StopAt(10, gently = true))
        s.count.batches shouldBe 60 + 10
        messages shouldContain "fit: training stopped (model.stopTraining) while finishing epoch 2; the later epochs do not start"
    }

    context("fit refuses arguments it cannot train with, naming the argument") {
        val saver = MidEpochPolicy.callback(tempdir().toPath())
        val empty = OnHeapDataset.create(emptyArray(), FloatArray(0))
        withData(
            mapOf<String, Pair<(GraphTrainableModel) -> Unit, String>>(
                "this callback among the callbacks" to Pair({ m -> saver.fit(m, train, 1, 32, listOf(saver)) },
                    "callbacks: contains this checkpoint callback, which fit(model, ...) adds itself; pass only the other callbacks"),
                "a total of 0 epochs" to Pair({ m -> saver.fit(m, train, 0) }, "epochs: the run's total number of epochs must be >= 1, got 0"),
                "a batch size of 0" to Pair({ m -> saver.fit(m, train, 1, 0) }, "batchSize: must be >= 1, got 0"),
                "a training batch size of 0" to Pair({ m -> saver.fit(m, train, valid, 1, 0) }, "trainBatchSize: must be >= 1, got 0"),
                "an empty training dataset" to Pair({ m -> saver.fit(m, empty, 1) }, "trainingDataset: has no examples; fit needs at least one"),
            ),
        ) { (call, message) ->
            Digits.newCompiledModel().use { model -> shouldThrow<IllegalArgumentException> { call(model) }.message shouldBe message }
        }
    }

    test("fit called again from inside its own training is refused as a lifecycle error") {
        val saver = MidEpochPolicy.callback(tempdir().toPath())
        Digits.newCompiledModel().use { model ->
            val reentrant = object : Callback() {
                override fun onTrainBegin() {
                    saver.fit(model, train, 1)
                }
            }
            shouldThrow<IllegalStateException> { saver.fit(model, train, 1, 32, listOf(reentrant)) }.message shouldBe
                "checkpoint callback: fit(model, ...) called while this callback is training (after a fit that another " +
                "callback's exception ended, call close() first)"
        }
    }

    test("a fit(model, ...) whose callback is passed to another model's fit meanwhile refuses that model") {
        val saver = MidEpochPolicy.callback(tempdir().toPath())
        Digits.newCompiledModel().use { model ->
            Digits.newCompiledModel().use { other ->
                val intruder = object : Callback() {
                    override fun onTrainBegin() {
                        other.fit(train, 1, 32, listOf(saver))
                    }
                }
                shouldThrow<IllegalStateException> { saver.fit(model, train, 1, 32, listOf(intruder)) }.message shouldBe
                    "checkpoint callback: fit(model, ...) is training another model; pass this callback to one fit at a time"
            }
        }
    }
})

package dev.ckpt

import dev.ckpt.kotlindl.Digits
import dev.ckpt.core.CheckpointConfigException
import dev.ckpt.CheckpointKind
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.doubles.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import org.jetbrains.kotlinx.dl.api.core.metric.Metrics
import java.nio.file.Files

class CheckpointCallbackSpec : FunSpec({
    val (train, valid) = (Digits.train() to Digits.validation())

    test("saves the best by val_accuracy and the restored model scores exactly the logged value") {
        val dir = tempdir().toPath()
        val saver = checkpoint("runs/digits/e{epoch:02d}-{val_accuracy:.3f}") {
            monitor = "val_accuracy"; mode = MAX; saveBestOnly = true; directory = dir
        }
        val history = Digits.newCompiledModel().use { model ->
            model.fit(trainingDataset = train, validationDataset = valid, epochs = 4, trainBatchSize = 32,
                validationBatchSize = 64, callbacks = listOf(saver))
        }
        val accuracies: List<Double> = history.epochHistory.map { it.valMetricValues!!.first()!! }
        val run = Checkpoints.open(dir.resolve("runs/digits"))
        val best = run.best()
        best.metrics.getValue("val_accuracy") shouldBe accuracies.max()
        best.epoch shouldBe accuracies.indexOf(accuracies.max()) + 1
        best.kind shouldBe CheckpointKind.FULL
        run.verify().allOk shouldBe true
        saver.saved.size shouldBe run.all.size

        Digits.newCompiledModel().use { fresh ->
            best.loadWeightsInto(fresh)
            val restored = fresh.evaluate(valid, batchSize = 64).metrics.getValue(Metrics.ACCURACY)
            restored shouldBe best.metrics.getValue("val_accuracy")
        }
        best.loadModel(Digits::compile).use { rebuilt ->
            rebuilt.evaluate(valid, batchSize = 64).metrics.getValue(Metrics.ACCURACY) shouldBe best.metrics.getValue("val_accuracy")
        }
    }

    test("a monitor the model does not log fails before the first epoch, listing the valid names") {
        val dir = tempdir().toPath()
        val saver = checkpoint("runs/x/e{epoch:02d}") { monitor = "val_acc"; mode = MAX; saveBestOnly = true; directory = dir }
        val error = shouldThrow<CheckpointConfigException> {
            Digits.newCompiledModel().use { it.fit(train, valid, 2, 32, 64, listOf(saver)) }
        }
        error.message shouldBe "monitor: 'val_acc' is not logged by the model; logged metrics: accuracy, loss, val_accuracy, val_loss"
        Files.exists(dir.resolve("runs/x/e01")) shouldBe false
    }

    test("a template field the model does not log fails before the first epoch") {
        val dir = tempdir().toPath()
        val saver = checkpoint("runs/x/e{epoch:02d}-{val_f1:.2f}") { directory = dir }
        val error = shouldThrow<CheckpointConfigException> {
            Digits.newCompiledModel().use { it.fit(train, valid, 2, 32, 64, listOf(saver)) }
        }
        error.message shouldContain "field 'val_f1'"
        error.message shouldContain "available: accuracy, epoch, loss, step, val_accuracy, val_loss"
    }

    test("retention keeps the best and the last two, and deletes only what it released") {
        val dir = tempdir().toPath()
        val saver = checkpoint("runs/r/e{epoch:02d}") { monitor = "val_loss"; keepLast = 2; directory = dir }
        Digits.newCompiledModel().use { it.fit(train, valid, 5, 32, 64, listOf(saver)) }
        val run = Checkpoints.open(dir.resolve("runs/r"))
        val kept = run.all.map { it.path }
        kept.size shouldBe if (run.best().path in listOf("e04", "e05")) 2 else 3
        kept.takeLast(2) shouldContainExactly listOf("e04", "e05")
        (1..5).map { "e%02d".format(it) }.filter { it !in kept }.forEach { Files.exists(dir.resolve("runs/r/$it")) shouldBe false }
    }

    test("resume continues the numbering and keeps the best of both runs") {
        val dir = tempdir().toPath()
        fun saver(resume: Boolean) = checkpoint("runs/res/e{epoch:02d}") {
            monitor = "val_accuracy"; mode = MAX; this.resume = resume; directory = dir
        }
        Digits.newCompiledModel().use { it.fit(train, valid, 3, 32, 64, listOf(saver(false))) }
        val second = saver(true)
        Digits.newCompiledModel().use { it.fit(train, valid, 2, 32, 64, listOf(second)) }
        second.saved shouldContainExactly listOf("runs/res/e04", "runs/res/e05")
        val run = Checkpoints.open(dir.resolve("runs/res"))
        run.all.map { it.epoch } shouldContainExactly listOf(1, 2, 3, 4, 5)
        run.best().metrics.getValue("val_accuracy") shouldBe run.all.maxOf { it.metrics.getValue("val_accuracy") }
        run.latest().epoch shouldBe 5
        run.latest().metrics.getValue("val_accuracy") shouldBeGreaterThan 0.8
    }

    test("starting over an existing run without resume is refused and leaves it intact") {
        val dir = tempdir().toPath()
        Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(checkpoint("runs/o/e{epoch:02d}") { directory = dir })) }
        val error = shouldThrow<IllegalStateException> {
            Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(checkpoint("runs/o/e{epoch:02d}") { directory = dir })) }
        }
        error.message shouldContain "set resume = true"
        Checkpoints.open(dir.resolve("runs/o")).verify().allOk shouldBe true
    }

    test("resuming with a policy that decides differently is refused, naming the difference") {
        val dir = tempdir().toPath()
        Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(checkpoint("runs/f/e{epoch:02d}") { directory = dir })) }
        val changed = checkpoint("runs/f/e{epoch:02d}") { monitor = "val_accuracy"; resume = true; directory = dir }
        val error = shouldThrow<IllegalArgumentException> { Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(changed)) } }
        error.message shouldContain "monitor: run has \"val_loss\", policy has \"val_accuracy\""
        Checkpoints.open(dir.resolve("runs/f")).all.map { it.path } shouldContainExactly listOf("e01")
    }
})

package dev.ckpt

import dev.ckpt.kotlindl.Digits
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.doubles.shouldBeLessThanOrEqual
import io.kotest.matchers.shouldBe

/**
 * Batch-level saves see what Keras logs at a batch end: the running means of the loss and of each metric over the
 * epoch's batches so far. KotlinDL 0.4 hands callbacks the batch's own loss and each metric's running *sum*.
 */
class BatchLogsSpec : FunSpec({
    test("a batch-level checkpoint records the epoch's running means of loss and accuracy, as Keras logs them") {
        val dir = tempdir().toPath()
        val saver = checkpoint("run/e{epoch}-b{batch:02d}") {
            monitor = "accuracy"
            mode = MAX
            saveFrequency = everyBatches(9)
            directory = dir
            async = false
        }
        val history = Digits.newCompiledModel().use { it.fit(Digits.train(), 2, Digits.BATCH_SIZE, listOf(saver)) }

        // The expected values, from KotlinDL's own batch history: losses per batch, accuracy summed.
        val expected = history.batchHistory.filter { (it.batchIndex + 1) % 9 == 0 }.map { b ->
            val sameEpoch = history.batchHistory.filter { it.epochIndex == b.epochIndex && it.batchIndex <= b.batchIndex }
            Triple("e${b.epochIndex}-b%02d".format(b.batchIndex + 1), sameEpoch.sumOf { it.lossValue } / sameEpoch.size, b.metricValues[0] / (b.batchIndex + 1))
        }
        val saved = Checkpoints.open(dir.resolve("run")).all
        saved.map { it.path } shouldContainExactly expected.map { it.first }
        for ((checkpoint, want) in saved.zip(expected)) {
            checkpoint.metrics.getValue("loss") shouldBe want.second
            checkpoint.metrics.getValue("accuracy") shouldBe want.third
            checkpoint.metrics.getValue("accuracy") shouldBeLessThanOrEqual 1.0
            checkpoint.monitorValue shouldBe want.third
        }
    }
})

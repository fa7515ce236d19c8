package dev.ckpt.durability

import dev.ckpt.CheckpointKind
import dev.ckpt.Checkpoints
import dev.ckpt.checkpoint
import dev.ckpt.kotlindl.Digits
import dev.ckpt.kotlindl.ModelSnapshot
import dev.ckpt.kotlindl.variableBits
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.BatchTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.EpochTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import java.nio.file.Files
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit

/**
 * Background saves copy into the arrays of the previous snapshot once its writer is done with them: each checkpoint
 * still holds the floats of its own step, even when its writer runs while the next epoch trains.
 */
class SnapshotReuseSpec : FunSpec({
    test("a checkpoint written while the next epoch trains holds its own step's floats, and later saves reuse the arrays") {
        val dir = tempdir().toPath()
        val epochs = 4
        val saver = checkpoint("run/e{epoch:02d}") { monitor = "loss"; keepLast = epochs; directory = dir }
        val gate = CountDownLatch(1)
        // The first save's writer waits until the second epoch has trained a few batches.
        saver.beforeCommit = { path -> if (path.endsWith("e01")) check(gate.await(120, TimeUnit.SECONDS)) { "epoch 2 never opened the gate" } }
        Digits.newCompiledModel().use { model ->
            val expected = HashMap<String, Map<String, List<Byte>>>()
            val reusedAtEpochEnd = ArrayList<Long>()
            var blockedWhileTraining = 0
            val probe = object : Callback() {
                override fun onTrainBatchEnd(batchIndex: Int, batchSize: Int, event: BatchTrainingEvent, logs: TrainingHistory) {
                    if (expected.size == 1) {
                        if (gate.count == 1L) blockedWhileTraining++
                        if (batchIndex == 5) gate.countDown()
                    }
                }

                // Runs after the saver's epoch end: the state it snapshotted, copied afresh.
                override fun onEpochEnd(epoch: Int, event: EpochTrainingEvent, logs: TrainingHistory) {
                    val snapshot = ModelSnapshot.take(model, CheckpointKind.FULL, ModelSnapshot.configurationOf(model))
                    expected["e%02d".format(epoch)] = snapshot.files().associate { it.path to it.bytes().toList() }
                    reusedAtEpochEnd += saver.reusedSnapshotArrays()
                }
            }
            model.fit(Digits.train(), Digits.validation(), epochs, 32, 64, listOf(saver, probe))

            blockedWhileTraining shouldBe 6 // batches 0..5 of epoch 2 trained while checkpoint e01 was not yet written
            expected.getValue("e01") shouldNotBe expected.getValue("e02")
            val run = Checkpoints.open(dir.resolve("run"))
            run.all.map { it.path } shouldContainExactly listOf("e01", "e02", "e03", "e04")
            for (c in run.all) {
                val files = expected.getValue(c.path)
                files.mapValues { (name, _) -> Files.readAllBytes(c.directory.resolve(name)).toList() } shouldBe files
            }
            // Each save after the first copies into the previous snapshot's arrays, one per variable.
            val variables = variableBits(model, includeOptimizer = true).size.toLong()
            reusedAtEpochEnd shouldContainExactly (0 until epochs).map { it * variables }
        }
    }
})

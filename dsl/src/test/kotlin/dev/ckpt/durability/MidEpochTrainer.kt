package dev.ckpt.durability

import dev.ckpt.CheckpointCallback
import dev.ckpt.Checkpoints
import dev.ckpt.kotlindl.Digits
import dev.ckpt.checkpoint
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.BatchTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import java.nio.file.Path
import kotlin.system.exitProcess

/**
 * A child JVM for the mid-epoch resume test: trains the fixture MLP through [CheckpointCallback.fit] with
 * [MidEpochPolicy], and after its `stopAt`-th batch waits until that batch's checkpoint is in the manifest (saves
 * are written in the background), prints `STOPPED <batches trained>` and waits to be killed.
 *
 * Usage: `MidEpochTrainer <base directory> <stopAt>`.
 */
object MidEpochTrainer {
    @JvmStatic
    fun main(args: Array<String>) {
        require(args.size == 2) { "usage: MidEpochTrainer <base directory> <stop at batch N>" }
        val base = Path.of(args[0])
        val saver = MidEpochPolicy.callback(base)
        val stopAt = args[1].toInt()
        val (train, valid) = Digits.train() to Digits.validation()
        Digits.newCompiledModel().use { model ->
            saver.fit(model, train, valid, MidEpochPolicy.EPOCHS, 32, 64, listOf(Waiter(base.resolve(MidEpochPolicy.RUN), stopAt)))
        }
        println("DONE")
        exitProcess(0)
    }

    /** Runs after the checkpoint callback in each batch end. */
    private class Waiter(private val run: Path, private val stopAt: Int) : Callback() {
        private var batches = 0

        override fun onTrainBatchEnd(batch: Int, batchSize: Int, event: BatchTrainingEvent, logs: TrainingHistory) {
            if (++batches < stopAt) return
            val deadline = System.nanoTime() + 60_000_000_000L
            while (Checkpoints.open(run).latestOrNull()?.step != stopAt.toLong()) {
                check(System.nanoTime() < deadline) { "the checkpoint of batch $stopAt was not committed within 60 s" }
                Thread.sleep(10)
            }
            println("STOPPED $batches")
            System.out.flush()
            Thread.sleep(Long.MAX_VALUE)
        }
    }
}

/** The policy of the mid-epoch resume tests: a checkpoint every 15 batches, named by epoch, batch and step. */
internal object MidEpochPolicy {
    const val EPOCHS: Int = 3
    const val RUN: String = "runs/mid"

    fun callback(base: Path, configure: dev.ckpt.CheckpointOptions.() -> Unit = {}): CheckpointCallback =
        checkpoint("$RUN/e{epoch:02d}-b{batch:02d}-s{step:03d}") {
            saveFrequency = everyBatches(15)
            resume = true
            directory = base
            configure()
        }
}

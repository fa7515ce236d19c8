package dev.ckpt.durability

import dev.ckpt.checkpoint
import dev.ckpt.kotlindl.Digits
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.BatchTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import java.nio.file.Path
import kotlin.system.exitProcess

/**
 * The child JVM of [ShutdownSpec]: trains with a background save at every batch (resuming the run it finds).
 *
 * Usage: `ShutdownTrainer <base directory> exit` — holds the save of step [EXIT_STEP] in flight for a while and calls
 * `System.exit(0)` while it is, printing `EXITING <step>`; or `ShutdownTrainer <base directory> train` — trains until
 * the test ends it with SIGTERM, printing `TRAIN_BEGIN` once the run is open and `SAVED <path>` after each commit.
 */
object ShutdownTrainer {
    const val EXIT_STEP: Long = 12

    @JvmStatic
    fun main(args: Array<String>) {
        val base = Path.of(args[0])
        val saver = checkpoint("run/s{step:05d}") {
            monitor = "loss"; saveFrequency = everyBatches(1); keepLast = 3; resume = true; directory = base
        }
        val exiting = args[1] == "exit"
        if (exiting) saver.beforeCommit = { path -> if (path.endsWith("s%05d".format(EXIT_STEP))) Thread.sleep(1_500) }
        val reporter = object : Callback() {
            private var steps = 0L
            private var reported = 0

            override fun onTrainBegin() = CrashTrainer.say("TRAIN_BEGIN")

            override fun onTrainBatchEnd(batch: Int, batchSize: Int, event: BatchTrainingEvent, logs: TrainingHistory) {
                val saved = saver.saved
                while (reported < saved.size) CrashTrainer.say("SAVED ${saved[reported++]}")
                if (exiting && ++steps == EXIT_STEP) {
                    CrashTrainer.say("EXITING $steps")
                    exitProcess(0) // ckpt's callback (before this one) has just handed the save of this step to its writer
                }
            }
        }
        Digits.newCompiledModel().use { model -> model.fit(Digits.train(), 10_000, 32, listOf(saver, reporter)) }
    }
}

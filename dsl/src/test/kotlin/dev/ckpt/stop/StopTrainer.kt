package dev.ckpt.stop

import dev.ckpt.CheckpointCallback
import dev.ckpt.checkpoint
import dev.ckpt.durability.CrashTrainer
import dev.ckpt.kotlindl.Digits
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import java.nio.file.Path
import kotlin.system.exitProcess

/**
 * The child JVM of [SigtermCampaignSpec]: trains the digits through [CheckpointCallback.fit] with [StopPolicy],
 * resuming the run it finds. As each training batch begins (a batch that begins is trained: a stop is served at a
 * batch end, never inside one) it appends one byte to the count file, unbuffered, so that the count survives the
 * JVM's exit, and prints `B`; it prints `COMMITTING <path>` as the writer begins each commit, `MSG <text>` for each ckpt message (and appends a stop's signal-to-commit
 * milliseconds to `<count file>.commits`), and `DONE` at the end. With `hold`, it prints `HELD` once ckpt has
 * opened the run (recovered and restored it) and waits for a line on stdin before it trains.
 *
 * Usage: `StopTrainer <base directory or s3://bucket/prefix> <count file> <epochs> [hold]`.
 */
object StopTrainer {
    const val COMMITTED: String = "stop: committed resume point "
    const val HOLD: String = "hold"
    const val HELD: String = "HELD"
    const val COMMITTING: String = "COMMITTING "

    @JvmStatic
    fun main(args: Array<String>) {
        val commits = Path.of(args[1] + ".commits")
        val saver = StopPolicy.callback(args[0]) {
            onMessage {
                CrashTrainer.say("MSG $it")
                if (it.startsWith(COMMITTED)) {
                    java.nio.file.Files.writeString(commits, it.substringAfterLast(" in ").removeSuffix(" ms") + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND)
                }
            }
        }
        saver.beforeCommit = { path -> CrashTrainer.say("$COMMITTING$path") }
        val count = java.io.FileOutputStream(args[1], true)
        var hold = args.getOrNull(3) == HOLD
        val counter = object : Callback() {
            // saver.fit's first KotlinDL fit begins after ckpt opened the run; a second one (after a partial epoch) is not held.
            override fun onTrainBegin() {
                if (!hold) return
                hold = false
                CrashTrainer.say(HELD)
                checkNotNull(readlnOrNull()) { "the test closed stdin before it let training start" }
            }

            override fun onTrainBatchBegin(batch: Int, batchSize: Int, logs: TrainingHistory) {
                count.write('B'.code)
                CrashTrainer.say("B")
            }
        }
        Digits.newCompiledModel().use { model ->
            saver.fit(model, Digits.train(), Digits.validation(), args[2].toInt(), 32, 64, listOf(counter))
        }
        CrashTrainer.say(if (saver.stopped == null) "DONE" else "STOPPED")
        exitProcess(0)
    }
}

/** The campaign's policy: a checkpoint every 15 batches named by epoch, batch and step (never by metric values). */
internal object StopPolicy {
    /** Epochs for [stops] stops of at most 50 batches each, all landing before the run's end, and at least [minimum]. */
    fun epochsFor(stops: Int, minimum: Int = 24): Int = maxOf(minimum, stops * 50 / EPOCH_BATCHES + 2)
    const val RUN: String = "runs/stop"

    /** The digits split's batches of 32 per epoch. */
    const val EPOCH_BATCHES: Int = 45

    /** The policy, writing under [base]: a directory, or an `s3://` prefix (given in the filepath). */
    fun callback(base: String, configure: dev.ckpt.CheckpointOptions.() -> Unit = {}): CheckpointCallback {
        val s3 = base.startsWith("s3://")
        return checkpoint(if (s3) "$base/$RUN/e{epoch:02d}-b{batch:02d}-s{step:04d}" else "$RUN/e{epoch:02d}-b{batch:02d}-s{step:04d}") {
            saveFrequency = everyBatches(15)
            keepLast = 3
            resume = true
            if (!s3) directory = Path.of(base)
            configure()
        }
    }
}

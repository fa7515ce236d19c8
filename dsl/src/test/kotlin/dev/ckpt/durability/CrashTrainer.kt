package dev.ckpt.durability

import dev.ckpt.CheckpointCallback
import dev.ckpt.kotlindl.Digits
import dev.ckpt.checkpoint
import dev.ckpt.kotlindl.Models
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.layer.core.Dense
import org.jetbrains.kotlinx.dl.api.core.history.BatchTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import java.nio.file.Path
import kotlin.system.exitProcess

/**
 * The child JVM of [CrashSpec]: trains the fixture MLP on the digits with a policy that commits a full
 * checkpoint every [CrashPolicy.SAVE_EVERY] batches and releases old ones (keepLast + keepBest), always with
 * `resume = true`, so each launch continues the run the previous (killed) launch left.
 *
 * Usage: `CrashTrainer <base> <stop after N new commits, 0 = train until killed> [frozen]`, the base being a directory
 * or an `s3://bucket/prefix` (the S3 variant, [dev.ckpt.s3.S3CrashSpec]); with `frozen`, the MLP's hidden layer is
 * frozen ([CrashPolicy.newModel]), so most commits hard-link its files from the previous checkpoint.
 *
 * Protocol on stdout, one line each, flushed: `TRAIN_BEGIN` once ckpt has opened (and recovered and restored)
 * the run, `COMMITTING <path>` when the writer begins a commit, `SAVED <path>` after each commit ckpt reports
 * (at the next batch end), `DONE` on a normal end. Everything else (SLF4J) goes to stderr. After `TRAIN_BEGIN` it
 * waits for a line on stdin before it trains, so that the test can look at the run the recovery left while no
 * commit is under way.
 */
object CrashTrainer {
    @JvmStatic
    fun main(args: Array<String>) {
        require(args.size in 2..3 && args.getOrNull(2) in listOf(null, "frozen")) {
            "usage: CrashTrainer <base directory or s3://bucket/prefix> <stop after N commits, 0 = never> [frozen]"
        }
        val base = args[0]
        val stopAfter = args[1].toInt()
        val frozen = args.getOrNull(2) == "frozen"
        val (train, _) = (Digits.train() to Digits.validation())
        val saver = CrashPolicy.callback(base)
        saver.beforeCommit = { path -> say("COMMITTING $path") }
        CrashPolicy.newModel(frozen).use { model ->
            model.fit(train, CrashPolicy.EPOCHS, CrashPolicy.BATCH_SIZE, listOf(saver, Reporter(saver, stopAfter)))
        }
        say("DONE")
        exitProcess(0)
    }

    internal fun say(line: String) {
        System.out.println(line)
        System.out.flush()
    }

    /** Reports ckpt's commits; runs after the checkpoint callback in the same batch end. */
    private class Reporter(private val saver: CheckpointCallback, private val stopAfter: Int) : Callback() {
        private var reported = 0

        override fun onTrainBegin() {
            say("TRAIN_BEGIN")
            checkNotNull(readlnOrNull()) { "the test closed stdin before it let training start" }
        }

        override fun onTrainBatchEnd(batch: Int, batchSize: Int, event: BatchTrainingEvent, logs: TrainingHistory) {
            val saved = saver.saved
            while (reported < saved.size) say("SAVED ${saved[reported++]}")
            if (stopAfter in 1..reported) Models.boundTo(this).stopTraining = true
        }
    }
}

/** The crash campaign's checkpoint policy, shared by the child and the checks in the test JVM. */
internal object CrashPolicy {
    const val SAVE_EVERY: Int = 3
    const val BATCH_SIZE: Int = 32
    const val EPOCHS: Int = 10_000

    /** The run directory under the base directory. */
    const val RUN: String = "run"

    private val NAME = Regex("""e(\d{4})-s(\d{7})""")

    /** The policy, writing under [base]: a directory, or an `s3://` prefix (given in the filepath). */
    fun callback(base: String): CheckpointCallback {
        val s3 = base.startsWith("s3://")
        return checkpoint(if (s3) "$base/$RUN/e{epoch:04d}-s{step:07d}" else "$RUN/e{epoch:04d}-s{step:07d}") {
            monitor = "loss"
            mode = MIN
            saveFrequency = everyBatches(SAVE_EVERY)
            keepLast = 2
            keepBest = 2
            resume = true
            if (!s3) directory = Path.of(base)
        }
    }

    /** The fixture MLP, compiled; [frozen]: its hidden layer is not trained (transfer learning's frozen backbone). */
    fun newModel(frozen: Boolean): Sequential {
        val model = Digits.newModel()
        if (frozen) (model.layers.single { it.name == "hidden" } as Dense).isTrainable = false
        return model.also(Digits::compile)
    }

    /** (epoch, step) of a checkpoint path as the template formats it (with or without the run prefix). */
    fun numbering(path: String): Pair<Int, Long> {
        val match = NAME.find(path) ?: error("not a crash-campaign checkpoint path: $path")
        return match.groupValues[1].toInt() to match.groupValues[2].toLong()
    }
}

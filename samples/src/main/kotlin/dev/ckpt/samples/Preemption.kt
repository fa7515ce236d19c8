@file:JvmName("Preemption")

package dev.ckpt.samples

import dev.ckpt.Checkpoints
import dev.ckpt.checkpoint
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import java.io.PrintStream
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit
import kotlin.system.exitProcess

/**
 * Preemption, as Kubernetes or a spot VM does it: trains the digits in a child JVM, sends it SIGTERM in the middle
 * of an epoch, relaunches the same command, and counts the batches the two launches trained against an
 * uninterrupted run. The policy is the README's: save-best-only by `val_accuracy`, `resume = true`, through
 * `saver.fit`; the stop commits a resume point at the next batch end, and the relaunch continues at the batch after.
 *
 * Run from the repository root: `mvn -B -q -pl samples -am compile exec:exec -Dexec.mainClass=dev.ckpt.samples.Preemption`.
 * Output goes to `runs/preemption` (replaced on each run); optional arguments: the run directory and the number
 * of epochs (default 6).
 */
public fun main(args: Array<String>) {
    if (args.firstOrNull() == CHILD) {
        trainChild(Path.of(args[1]), args[2].toInt(), Path.of(args[3]))
        return
    }
    val dir = Path.of(args.getOrNull(0)?.takeIf { it.isNotBlank() } ?: "runs/preemption")
    val epochs = args.getOrNull(1)?.toInt() ?: 6
    val outcome = runPreemption(dir, epochs, System.out)
    exitProcess(if (outcome.lost == 0L && outcome.twice == 0L) 0 else 1)
}

/** What the sample counted. */
public data class PreemptionOutcome(
    /** Batches an uninterrupted run trains. */
    public val uninterrupted: Long,
    /** Batches each launch trained. */
    public val launches: List<Long>,
    /** Batches of the uninterrupted run no launch trained. */
    public val lost: Long,
    /** Batches trained by both launches. */
    public val twice: Long,
    /** Exit code of the launch that received SIGTERM (143 = 128 + 15). */
    public val stoppedExitCode: Int,
    /** Validation accuracy of the best checkpoint, restored into a fresh model. */
    public val restoredAccuracy: Double,
)

private const val CHILD = "--child"

/** Runs the sample into [runDirectory] (replacing it), reporting on [out]. */
public fun runPreemption(runDirectory: Path, epochs: Int, out: PrintStream): PreemptionOutcome {
    val (train, validation) = Digits.load().split()
    val perEpoch = (train.xSize() + DigitsModel.TRAIN_BATCH - 1) / DigitsModel.TRAIN_BATCH
    val uninterrupted = epochs.toLong() * perEpoch
    SampleRuns.clear(runDirectory)
    Files.createDirectories(runDirectory.toAbsolutePath().parent)
    // Inside epoch epochs / 2 + 1, a third of the way in: well away from an epoch's end.
    val stopAt = (epochs / 2) * perEpoch + perEpoch / 3
    out.println("ckpt preemption sample: $epochs epochs of $perEpoch batches; SIGTERM after batch $stopAt, then a relaunch")

    val first = Child.start(runDirectory, epochs, 1)
    while (first.trained() < stopAt && first.process.isAlive) Thread.sleep(5)
    first.process.destroy() // SIGTERM, as the kubelet sends it
    val exit = first.waitFor()
    first.output().filter { it.startsWith("ckpt | stop:") }.forEach(out::println)
    val firstTrained = first.trained()
    val committed = Checkpoints.open(runDirectory).let { run -> run.resumePoint?.step ?: run.latestOrNull()?.step ?: 0L }
    out.println("launch 1: trained $firstTrained batches, exit code $exit; the run's committed state is at step $committed")

    val second = Child.start(runDirectory, epochs, 2)
    check(second.waitFor() == 0) { "the relaunch failed:\n" + second.output().joinToString("\n") }
    second.output().filter { it.startsWith("ckpt | resume:") }.forEach(out::println)
    val secondTrained = second.trained()
    out.println("launch 2: trained $secondTrained batches, from step ${committed + 1}")

    // Launch 1 trained steps 1..firstTrained; launch 2 trained committed+1 .. committed+secondTrained.
    val twice = maxOf(0L, firstTrained - committed)
    val unique = firstTrained + secondTrained - twice
    val lost = uninterrupted - unique
    val run = Checkpoints.open(runDirectory)
    val best = run.best()
    val restored = best.loadModel(DigitsModel::compile).use { model -> DigitsModel.accuracy(model, validation) }
    out.println()
    out.println("uninterrupted run: $uninterrupted batches; launches: $firstTrained + $secondTrained = ${firstTrained + secondTrained}")
    out.println("batches lost: $lost, trained twice: $twice")
    out.println("restored best checkpoint ${best.path} (epoch ${best.epoch}): validation accuracy %.4f".format(restored))
    return PreemptionOutcome(uninterrupted, listOf(firstTrained, secondTrained), lost, twice, exit, restored)
}

/**
 * The child: the README's policy through `saver.fit`. It counts each training batch as it begins (one byte appended,
 * unbuffered, to the count file: the count survives the JVM's exit) and prints ckpt's messages.
 */
private fun trainChild(dir: Path, epochs: Int, countFile: Path) {
    val count = java.io.FileOutputStream(countFile.toFile(), true)
    val (train, validation) = Digits.load().split()
    val saver = checkpoint("$dir/e{epoch:02d}-acc{val_accuracy:.4f}") {
        monitor = "val_accuracy"; mode = MAX; saveBestOnly = true; resume = true
        onMessage { say("ckpt | $it") }
    }
    val counter = object : Callback() {
        override fun onTrainBatchBegin(batch: Int, batchSize: Int, logs: TrainingHistory) = count.write('B'.code)
    }
    DigitsModel.create().use { model ->
        DigitsModel.compile(model)
        saver.fit(model, train, validation, epochs, DigitsModel.TRAIN_BATCH, DigitsModel.EVAL_BATCH, listOf(counter))
    }
}

private fun say(line: String) {
    System.out.println(line)
    System.out.flush()
}

/** A training JVM on this JVM's class path: its output goes to a file, its batch count to another, beside the run. */
private class Child private constructor(val process: Process, private val counts: Path, private val log: Path) {
    /** Batches the child has begun training so far. */
    fun trained(): Long = if (Files.exists(counts)) Files.size(counts) else 0L

    fun output(): List<String> = Files.readAllLines(log)

    fun waitFor(): Int {
        check(process.waitFor(10, TimeUnit.MINUTES)) { "the training JVM did not end within 10 minutes" }
        return process.exitValue()
    }

    companion object {
        fun start(dir: Path, epochs: Int, launch: Int): Child {
            val counts = dir.resolveSibling("${dir.fileName}.launch$launch.batches")
            val log = dir.resolveSibling("${dir.fileName}.launch$launch.log")
            Files.deleteIfExists(counts)
            val java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString())
            val command = listOf(
                java, "-cp", System.getProperty("java.class.path"), "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "dev.ckpt.samples.Preemption", CHILD, dir.toString(), epochs.toString(), counts.toString(),
            )
            val process = ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start()
            return Child(process, counts, log)
        }
    }
}

package dev.ckpt.stop

import dev.ckpt.Checkpoints
import dev.ckpt.durability.ChildJvm
import dev.ckpt.kotlindl.Digits
import dev.ckpt.storage.FileRunStore
import dev.ckpt.storage.RunReader
import dev.ckpt.storage.StoredEngineState
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.ints.shouldBeGreaterThanOrEqual
import io.kotest.matchers.shouldBe
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import java.nio.file.Path
import kotlin.random.Random

/**
 * SIGTERM at random moments, in child JVMs training through `saver.fit` ([StopTrainer]): every stop commits a
 * resume point at the next batch end and the JVM exits with 143; each relaunch continues at the batch after it.
 * Over all launches the trained batches are exactly an uninterrupted run's (each launch starts where the previous
 * one's committed state ends: none lost, none twice), and the run ends with the same checkpoints, steps and engine
 * counters. Prints the stops' signal-to-commit times. `CKPT_STOP_SIGNALS=200` runs a longer campaign (default 20).
 */
class SigtermCampaignSpec : FunSpec({
    test("SIGTERM campaign: no batch lost, none trained twice, the same run as without stops") {
        val signals = System.getenv("CKPT_STOP_SIGNALS")?.toInt() ?: 20
        val base = tempdir().toPath()
        val random = Random(20_261_206)
        val epochBatches = 45
        val epochs = StopPolicy.epochsFor(signals)
        val total = epochs * epochBatches
        fun newest(): Long = if (!base.resolve(StopPolicy.RUN).toFile().exists()) 0L else Checkpoints.open(base.resolve(StopPolicy.RUN)).let { run ->
            run.resumePoint?.step ?: run.latestOrNull()?.step ?: 0L
        }

        val commitMillis = ArrayList<Long>()
        var sent = 0
        var launches = 0
        var trained = 0L
        var finished = false
        while (!finished) {
            val start = newest()
            withClue("launch $launches starts where the committed state ends: nothing lost, nothing twice") { start shouldBe trained }
            val countFile = base.resolveSibling("${base.fileName}-batches-$launches")
            val child = ChildJvm.start(StopTrainer::class.java.name, listOf(base.toString(), countFile.toString(), epochs.toString()), base.resolveSibling("${base.fileName}-stop.log"))
            launches++
            // Past the signals to send, the launch finishes the run; until then, it is stopped after a random number of batches.
            // At most 50 batches a launch: the stops end before the run does (StopPolicy.epochsFor), so each lands in training.
            val stopAfter = if (sent < signals) random.nextInt(1, 51) else Int.MAX_VALUE
            var begun = 0
            var signalled = false
            while (true) {
                val line = child.nextLine() ?: break
                when {
                    line == "B" -> if (++begun == stopAfter) {
                        // SIGTERM; the child's output keeps being queued while this waits for its exit, and is read below.
                        child.terminate()
                        signalled = true
                    }
                    line == "DONE" -> finished = true
                }
            }
            val exit = child.waitFor()
            if (signalled) {
                sent++
                withClue("a stopped JVM exits as SIGTERM asks (128 + 15)\n${child.logTail()}") { exit shouldBe 143 }
            } else {
                withClue(child.logTail()) { exit shouldBe 0 }
            }
            // Counted from the child's file: stdout lines printed just before the JVM exits may not all reach the reader.
            trained += java.nio.file.Files.size(countFile)
            val commits = Path.of("$countFile.commits")
            if (java.nio.file.Files.exists(commits)) commitMillis += java.nio.file.Files.readAllLines(commits).map { it.toLong() }
            withClue("launch $launches trained ${java.nio.file.Files.size(countFile)} batches from step $start; the run's committed state is at ${newest()}") { newest() shouldBe trained }
        }
        trained shouldBe total.toLong()

        val straight = tempdir().toPath()
        val saver = StopPolicy.callback(straight)
        var straightBatches = 0
        val counter = object : Callback() {
            override fun onTrainBatchBegin(batch: Int, batchSize: Int, logs: TrainingHistory) {
                straightBatches++
            }
        }
        Digits.newCompiledModel().use { saver.fit(it, Digits.train(), Digits.validation(), epochs, 32, 64, listOf(counter)) }
        straightBatches shouldBe total
        val run = Checkpoints.open(base.resolve(StopPolicy.RUN))
        run.all.map { it.path to it.step } shouldBe Checkpoints.open(straight.resolve(StopPolicy.RUN)).all.map { it.path to it.step }
        counters(base.resolve(StopPolicy.RUN)) shouldBe counters(straight.resolve(StopPolicy.RUN))
        run.verify().allOk shouldBe true
        sent shouldBeGreaterThanOrEqual signals
        withClue("every stop committed its state (a stop on a save point's batch finds it committed already and says so too)") { commitMillis.size shouldBe sent }
        val sorted = commitMillis.sorted()
        println(
            "SIGTERM campaign: $sent stops over $launches launches, $trained batches trained for $total (batches lost: 0, trained twice: 0); " +
                "signal-to-commit ms: median ${sorted[sorted.size / 2]}, max ${sorted.last()} (${sorted.size} resume points)",
        )
    }
})

private fun counters(run: Path): List<Number> {
    val manifest = RunReader.open(FileRunStore(run)).manifest
    val s = StoredEngineState.of(manifest.engineState!!, "manifest.json")
    return listOf(s.currentEpoch, s.completedEpochs, s.lastBatchSeen, s.batchesSinceSave, s.globalStep)
}

package dev.ckpt.stop

import dev.ckpt.Checkpoints
import dev.ckpt.durability.ChildJvm
import dev.ckpt.kotlindl.Digits
import dev.ckpt.storage.FileRunStore
import dev.ckpt.storage.RunReader
import dev.ckpt.storage.StoredEngineState
import io.kotest.assertions.withClue
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.longs.shouldBeGreaterThanOrEqual
import io.kotest.matchers.longs.shouldBeLessThanOrEqual
import io.kotest.matchers.shouldBe
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.name
import kotlin.random.Random

/**
 * Launches of [StopTrainer] into one run, each ended by SIGTERM or SIGKILL after a random number of batches (at most
 * 50, so every stop lands in training: see [StopPolicy.epochsFor]), then a launch that finishes the run. Shared by
 * [SigtermCampaignSpec] (local, SIGTERM only), [MixedStopSpec] (SIGTERM and SIGKILL mixed) and the S3 case
 * ([dev.ckpt.s3.S3SigtermSpec]).
 *
 * Checked after each launch: a SIGTERM launch's committed state ends exactly where its last trained batch does
 * (nothing lost, nothing twice), and the JVM exits with 143; a SIGKILL launch's is between where it started and
 * where it got to (a SIGKILL is sent at the first commit that begins after its batch, so that it may cut a
 * commit short). Each launch is held once ckpt has opened the run (recovered what a kill left) and checked for
 * checkpoint directories the manifest does not list; training goes on once the test has looked.
 *
 * @param base the trainer's base: a directory, or an `s3://bucket/prefix`
 * @param runDir the local directory that holds the run's files (for S3, the test server's copy of its objects)
 * @param work a directory for the children's batch counts and logs
 */
internal class StopCampaign(
    private val base: String,
    private val runDir: Path,
    private val work: Path,
    private val epochs: Int,
    private val jvmOptions: List<String> = emptyList(),
) {
    enum class Stop { TERM, KILL }

    /** The run's location, as `Checkpoints.open` takes it. */
    val run: String = if (base.startsWith("s3://")) "$base/${StopPolicy.RUN}" else runDir.toString()

    class Result(val launches: Int, val trained: Long, val commitMillis: List<Long>, val unlistedChecks: Int)

    /** Runs one launch per entry of [stops], ended that way, then one that finishes the run. */
    fun run(stops: List<Stop>, random: Random): Result {
        Files.createDirectories(work)
        val commitMillis = ArrayList<Long>()
        var trained = 0L
        var unlistedChecks = 0
        for (launch in 0..stops.size) {
            val stop = stops.getOrNull(launch)
            val start = newest()
            val countFile = work.resolve("batches-$launch")
            val child = ChildJvm.start(
                StopTrainer::class.java.name, listOf(base, countFile.toString(), epochs.toString(), StopTrainer.HOLD),
                work.resolve("child.log"), jvmOptions,
            )
            val stopAfter = if (stop != null) random.nextInt(1, 51) else Int.MAX_VALUE
            var begun = 0
            var finished = false
            var killedLive = false
            while (true) {
                val line = child.nextLine() ?: break
                when {
                    line == StopTrainer.HELD -> {
                        withClue("launch $launch: checkpoint directories the manifest does not list, once the run is open") { unlisted().shouldBeEmpty() }
                        unlistedChecks++
                        child.send("GO")
                    }
                    line == "B" -> if (++begun == stopAfter && stop == Stop.TERM) {
                        // The child's output keeps being queued while this waits for its exit, and is read below.
                        child.terminate()
                    }
                    // A SIGKILL waits for the first commit past its batch: it lands while that commit may be under way.
                    line.startsWith(StopTrainer.COMMITTING) -> if (stop == Stop.KILL && begun >= stopAfter && !killedLive) {
                        killedLive = child.kill()
                        check(killedLive) { "launch $launch: the child had ended before its SIGKILL\n${child.logTail()}" }
                    }
                    line == "DONE" -> finished = true
                }
            }
            val exit = child.waitFor()
            // Counted from the child's file: stdout lines printed just before the JVM exits may not all reach the reader.
            val count = Files.size(countFile)
            trained += count
            val commits = Path.of("$countFile.commits")
            if (Files.exists(commits)) commitMillis += Files.readAllLines(commits).map { it.toLong() }
            val end = newest()
            withClue("launch $launch ($stop) trained $count batches from step $start; the run's committed state is at $end\n${child.logTail()}") {
                when (stop) {
                    Stop.TERM -> {
                        exit shouldBe 143 // 128 + 15: the JVM exits as SIGTERM asks
                        end shouldBe start + count
                    }
                    Stop.KILL -> {
                        killedLive shouldBe true
                        end shouldBeGreaterThanOrEqual start
                        end shouldBeLessThanOrEqual start + count
                    }
                    null -> {
                        exit shouldBe 0
                        finished shouldBe true
                        end shouldBe start + count
                    }
                }
            }
        }
        return Result(stops.size + 1, trained, commitMillis, unlistedChecks)
    }

    /** The step of the run's newest committed state (resume point or checkpoint); 0 before the first commit. */
    fun newest(): Long = if (!Files.exists(runDir.resolve("manifest.json"))) 0L else Checkpoints.open(run).let { r ->
        r.resumePoint?.step ?: r.latestOrNull()?.step ?: 0L
    }

    /** Directories in the run that its manifest lists nowhere: not a checkpoint, the resume point or a pending release. */
    private fun unlisted(): List<String> {
        if (!Files.exists(runDir.resolve("manifest.json"))) return emptyList()
        val r = Checkpoints.open(run)
        val listed = r.all.map { it.path }.toSet() + listOfNotNull(r.resumePoint?.path) + r.pendingReleases
        return Files.list(runDir).use { entries -> entries.filter { Files.isDirectory(it) && it.name !in listed }.map { it.name }.toList() }
    }

    companion object {
        /** Trains [epochs] uninterrupted under [StopPolicy] in [dir], checks the batch count, and returns the run directory. */
        fun straight(dir: Path, epochs: Int): Path {
            var batches = 0
            val counter = object : Callback() {
                override fun onTrainBatchBegin(batch: Int, batchSize: Int, logs: TrainingHistory) {
                    batches++
                }
            }
            Digits.newCompiledModel().use { StopPolicy.callback(dir.toString()).fit(it, Digits.train(), Digits.validation(), epochs, 32, 64, listOf(counter)) }
            batches shouldBe epochs * StopPolicy.EPOCH_BATCHES
            return dir.resolve(StopPolicy.RUN)
        }

        /** The engine counters the run's manifest records, read from its local files. */
        fun counters(runDir: Path): List<Number> {
            val manifest = RunReader.open(FileRunStore(runDir)).manifest
            val s = StoredEngineState.of(manifest.engineState!!, "manifest.json")
            return listOf(s.currentEpoch, s.completedEpochs, s.lastBatchSeen, s.batchesSinceSave, s.globalStep)
        }

        /** The same checkpoints, steps and engine counters as the uninterrupted run in [straightRun], and it verifies. */
        fun checkSameRun(run: String, runDir: Path, straightRun: Path) {
            val r = Checkpoints.open(run)
            r.all.map { it.path to it.step } shouldBe Checkpoints.open(straightRun).all.map { it.path to it.step }
            counters(runDir) shouldBe counters(straightRun)
            withClue("verify: ${r.verify().results}") { r.verify().allOk shouldBe true }
        }
    }
}

package dev.ckpt.durability

import dev.ckpt.Checkpoints
import dev.ckpt.kotlindl.Digits
import dev.ckpt.checkpoint
import dev.ckpt.storage.copyTree
import dev.ckpt.CheckpointStatus
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldBeIn
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.collections.shouldNotContain
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldNotContain
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.EpochTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.Callable
import java.util.concurrent.Executors
import kotlin.io.path.exists
import kotlin.io.path.name
import kotlin.io.path.writeText
import kotlin.random.Random
import kotlin.streams.toList

/**
 * The crash campaign: child JVMs ([CrashTrainer]) train with a checkpoint every 3 batches, retention releasing
 * old ones, and are killed with SIGKILL (`Process.destroyForcibly`) at random moments. After each kill the run
 * must open, every listed checkpoint must verify, best and latest must load into a fresh model, and the next
 * launch (a resumed run, not killed before it has committed) must continue exactly where the latest left off.
 *
 * Four kills in five fall at a seeded random delay (0 to 1.5 s) after the launch's first commit: anywhere in
 * training, committing, manifest rewriting or retention deletion. The child says when its writer begins a commit
 * (`COMMITTING`) and when ckpt reports it (`SAVED`); a kill that finds the last commit begun and not yet reported
 * landed with a commit in flight, and the campaign requires that of at least [IN_COMMIT_SHARE] of these kills.
 * Those launches are resumed runs that were not killed before they showed they continue the numbering, and each is
 * held at train begin (ckpt has opened the run and recovered what the kills left) while the test checks that no
 * checkpoint directory is missing from the manifest. One kill in five is timed from the launch instead (0 to 3 s): JVM start,
 * ckpt's recovery of the previous kill's leftovers, the restore and the first commits; a launch killed before it
 * committed leaves the numbering check to the next launch that does. Each lane ends with a resumed run that
 * is not killed at all: one commit, then a normal end, after which no temporary or backup file may remain.
 *
 * Defaults: 30 kills over 3 parallel run directories. A longer campaign:
 * `CKPT_CRASH_KILLS=500 mvn -B -ntp -pl dsl -am test -Dtest=CrashSpec -Dsurefire.failIfNoSpecifiedTests=false`
 * (also `-Dckpt.crash.kills=500`; `CKPT_CRASH_LANES`, `CKPT_CRASH_SEED`, `CKPT_CRASH_MAX_DELAY_MS` likewise).
 */
class CrashSpec : FunSpec({
    fun setting(name: String, default: Long): Long =
        (System.getProperty("ckpt.crash.$name") ?: System.getenv("CKPT_CRASH_" + name.uppercase().replace('.', '_')))?.toLong()
            ?: default

    val kills = setting("kills", 30).toInt()
    val lanes = setting("lanes", 3).toInt().coerceAtMost(kills)
    val seed = setting("seed", 20_261_123)
    val maxDelayMillis = setting("max.delay.ms", 1_500)

    test("$kills SIGKILLs at random moments leave a run that opens, verifies, loads best and latest, and resumes exactly") {
        val base = tempdir().toPath()
        val started = System.nanoTime()
        val pool = Executors.newFixedThreadPool(lanes)
        val results = try {
            (0 until lanes).map { lane ->
                val count = kills / lanes + if (lane < kills % lanes) 1 else 0
                pool.submit(Callable { CrashLane(CrashTarget.local(base.resolve("lane$lane")), Random(seed + lane), count, maxDelayMillis).run() })
            }.map { it.get() }
        } finally {
            pool.shutdownNow()
        }
        val seconds = (System.nanoTime() - started) / 1e9
        val timed = results.sumOf { it.timed }
        val inCommit = results.sumOf { it.timedInCommit }
        println(
            "CrashSpec: $kills kills in ${"%.1f".format(seconds)} s over $lanes lanes (seed $seed); " +
                "${results.sumOf { it.early }} of them early (from launch); $inCommit of the $timed timed kills landed with a " +
                "commit begun and not yet reported; ${results.sumOf { it.commitsSeen }} commits reported, " +
                "${results.sumOf { it.killedAfterCommitInFlight }} kills left an unreported commit, " +
                "${results.sumOf { it.beyondRetentionAfterKills }} released-but-listed checkpoints found after kills (deleted on resume); " +
                "unlisted checkpoint directories checked ${results.sumOf { it.unlistedChecks }} times, none found",
        )
        withClue("every kill landed on a running child") { results.sumOf { it.liveKills } shouldBe kills }
        withClue("timed kills that landed with a commit in flight: $inCommit of $timed (at least $IN_COMMIT_SHARE required)") {
            (inCommit >= timed * IN_COMMIT_SHARE) shouldBe true
        }
        withClue("every timed launch and each lane's final launch were checked for unlisted directories") {
            results.sumOf { it.unlistedChecks } shouldBe timed + lanes
        }
    }

    test("a lane with a frozen layer: kills while files are being linked leave a run that opens, verifies, loads and resumes exactly") {
        val frozenKills = setting("frozen.kills", 10).toInt()
        val lane = CrashLane(CrashTarget.local(tempdir().toPath().resolve("frozen")), Random(seed + 100), frozenKills, maxDelayMillis, frozen = true)
        val result = lane.run()
        println(
            "CrashSpec (frozen lane): $frozenKills kills; ${result.timedInCommit} of the ${result.timed} timed kills landed with a " +
                "commit begun and not yet reported; ${result.commitsSeen} commits reported; ${result.linkedFilesSeen} hard-linked files seen in listed checkpoints",
        )
        withClue("every kill landed on a running child") { result.liveKills shouldBe frozenKills }
        withClue("listed checkpoints shared hard-linked files after the kills") { (result.linkedFilesSeen > 0) shouldBe true }
        withClue("every timed launch and the final launch were checked for unlisted directories") { result.unlistedChecks shouldBe result.timed + 1 }
    }

    test("a crash between a commit and its retention's deletions: the resumed run deletes what was released") {
        val (train, valid) = (Digits.train() to Digits.validation())
        val base = tempdir().toPath()
        val run = base.resolve("runs/rel")
        val side = tempdir().toPath().resolve("at-e01")
        // Written on the training thread, so that e01 is committed when the copier runs after it.
        fun saver() = checkpoint("runs/rel/e{epoch:02d}") { monitor = "val_loss"; keepLast = 1; resume = true; directory = base; async = false }
        val copier = object : Callback() {
            override fun onEpochEnd(epoch: Int, event: EpochTrainingEvent, logs: TrainingHistory) {
                if (epoch == 1) copyTree(run, side)
            }
        }
        Digits.newCompiledModel().use { it.fit(train, valid, 2, 32, 64, listOf(saver(), copier)) }
        withClue("precondition: e02 improved on e01, so retention released e01") {
            Checkpoints.open(run).all.map { it.path } shouldContainExactly listOf("e02")
        }

        // Rebuild the state a SIGKILL right after e02's manifest write leaves: e01 on disk and listed as releasing.
        copyTree(side.resolve("e01"), run.resolve("e01"))
        val manifestFile = run.resolve("manifest.json")
        val manifest = Json.parseToJsonElement(Files.readString(manifestFile)).jsonObject
        val e01 = Json.parseToJsonElement(Files.readString(side.resolve("manifest.json"))).jsonObject.getValue("checkpoints").jsonArray
        manifestFile.writeText(JsonObject(manifest + ("releasing" to JsonArray(e01))).toString())
        Checkpoints.open(run).all.map { it.path } shouldContainExactly listOf("e02")
        Checkpoints.open(run).verify().allOk shouldBe true

        Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(saver())) }
        val after = Checkpoints.open(run)
        after.all.map { it.path } shouldNotContain "e01"
        run.resolve("e01").exists() shouldBe false
        Files.readString(manifestFile) shouldNotContain "\"e01\""
        after.latest().path shouldBe "e03"
        after.verify().allOk shouldBe true
    }
})

/**
 * Where a lane's run is: the [base] the child gets (a directory or an `s3://` prefix), the run's location for
 * [Checkpoints.open], and [runDir], a directory that shows the run's files (for S3, the test server's storage).
 */
internal class CrashTarget(val base: String, val run: String, val runDir: Path, val logs: Path, val jvmOptions: List<String> = emptyList()) {
    companion object {
        fun local(base: Path): CrashTarget = CrashTarget(base.toString(), base.resolve(CrashPolicy.RUN).toString(), base.resolve(CrashPolicy.RUN), base)
    }
}

/** One run's sequence of launch, kill, check. */
internal class CrashLane(
    private val target: CrashTarget,
    private val random: Random,
    private val kills: Int,
    private val maxDelayMillis: Long,
    /** Train with the hidden layer frozen: commits hard-link its files from the previous checkpoint. */
    private val frozen: Boolean = false,
) {
    private val base: Path = target.logs
    private val runDir: Path = target.runDir
    private var launches = 0
    private var listedAfterKills = 0
    private var commitsSeen = 0
    private var unlistedChecks = 0
    private var linkedFilesSeen = 0

    class Result(
        val liveKills: Int,
        /** Kills timed from a launch's first commit (the others are early, timed from the launch). */
        val timed: Int,
        /** Timed kills that found a commit begun (`COMMITTING`) and not yet reported (`SAVED`). */
        val timedInCommit: Int,
        val early: Int,
        val commitsSeen: Int,
        val killedAfterCommitInFlight: Int,
        val beyondRetentionAfterKills: Int,
        /** Times the run directory was checked for unlisted checkpoint directories, each once a launch had opened the run. */
        val unlistedChecks: Int,
        /** Files of listed checkpoints with more than one link, summed over the checks after each kill (frozen lanes). */
        val linkedFilesSeen: Int = 0,
    )

    fun run(): Result {
        Files.createDirectories(base)
        var latest: Pair<Int, Long>? = null
        var inFlight = 0
        var early = 0
        var timed = 0
        var timedInCommit = 0
        var liveKills = 0
        repeat(kills) { k ->
            // One kill in five comes early, timed from the launch: JVM start, ckpt's recovery of the previous
            // kill's leftovers, the restore, the first commit. The others wait until the launch has shown that it
            // continues the run (its first commit), then fall anywhere in training, commits and retention.
            val isEarly = random.nextInt(EARLY_ONE_IN) == 0
            if (isEarly) early++ else timed++
            val child = launch(stopAfterCommits = 0)
            val lines = ArrayList<String>()
            val lastReported = try {
                if (isEarly) {
                    child.send(GO) // the early kill's window includes the first commits: no hold at train begin
                    Thread.sleep(random.nextLong(0, EARLY_WINDOW_MILLIS + 1))
                } else {
                    lines += child.linesUntil("TRAIN_BEGIN")
                    checkNoUnlisted(k)
                    child.send(GO)
                    lines += child.linesUntil("SAVED ")
                    Thread.sleep(random.nextLong(0, maxDelayMillis + 1))
                }
                if (child.kill()) liveKills++
                lines += child.rest()
                val saved = lines.filter { it.startsWith("SAVED ") }.map { CrashPolicy.numbering(it) }
                val begun = lines.filter { it.startsWith("COMMITTING ") }.map { CrashPolicy.numbering(it) }
                if (!isEarly && begun.isNotEmpty() && begun.last() !in saved) timedInCommit++
                commitsSeen += saved.size
                // Any launch that committed must have continued exactly where the latest left off.
                saved.firstOrNull()?.let { first -> checkContinues(first, latest) }
                saved.lastOrNull() ?: latest
            } catch (e: Throwable) {
                child.kill()
                throw AssertionError("lane ${base.name}, kill ${k + 1} (launch $launches): ${e.message}\n${child.logTail()}", e)
            }
            val after = withClue("lane ${base.name}, after kill ${k + 1} (launch $launches)") { checkRun() }
            if (after != null || lastReported != null) {
                // Nothing the child reported as committed is lost; at most the commit under way at the kill is added.
                withClue("lane ${base.name}, kill ${k + 1}: latest after the kill $after vs the last commit reported $lastReported") {
                    val reportedStep = lastReported?.second ?: 0L
                    after?.second shouldBeIn listOf(reportedStep, reportedStep + CrashPolicy.SAVE_EVERY)
                }
                if (after != lastReported) inFlight++
            }
            latest = after
            listedAfterKills += ((after?.let { Checkpoints.open(target.run).all.size } ?: 0) - RETAINED).coerceAtLeast(0)
        }
        // The last kill's resumed run is not killed: it commits once more and stops normally.
        val child = launch(stopAfterCommits = 1)
        try {
            child.linesUntil("TRAIN_BEGIN")
            checkNoUnlisted(kills)
            child.send(GO)
            checkContinues(CrashPolicy.numbering(child.linesUntil("SAVED ").last()), latest)
            commitsSeen++
            child.linesUntil("DONE")
            child.waitFor() shouldBe 0
        } catch (e: Throwable) {
            child.kill()
            throw AssertionError("lane ${base.name}, final resumed run: ${e.message}\n${child.logTail()}", e)
        }
        checkRun()
        // The writer of that run recovered every leftover the kills left.
        withClue("leftovers after a clean run") { leftovers().shouldBeEmpty() }
        withClue("unlisted checkpoint directories after a clean run") { unlisted().shouldBeEmpty() }
        // Checkpoints released just before a kill were deleted when the next run resumed: only retention's keep.
        val listed = Checkpoints.open(target.run).all.size
        withClue("listed checkpoints after a clean resumed run (keepLast = 2, keepBest = 2)") { (listed <= RETAINED) shouldBe true }
        return Result(liveKills, timed, timedInCommit, early, commitsSeen, inFlight, listedAfterKills, unlistedChecks, linkedFilesSeen)
    }

    /**
     * With a launch held at train begin (ckpt has opened the run, recovered what the kills before left, and commits
     * nothing until the test lets it train), no checkpoint directory may be missing from the manifest. After an early
     * kill the next held launch does this check, since an early launch is not held.
     */
    private fun checkNoUnlisted(killsBefore: Int) {
        withClue("lane ${base.name}: unlisted checkpoint directories once launch $launches opened the run, after $killsBefore kills") {
            unlisted().shouldBeEmpty()
        }
        unlistedChecks++
    }

    /** The child's stdout lines up to and including the first that starts with [prefix]; fails if the output ends first. */
    private fun ChildJvm.linesUntil(prefix: String): List<String> = buildList {
        while (true) {
            val line = nextLine() ?: error("child ended (exit ${waitFor()}) before printing $prefix\n${logTail()}")
            add(line)
            if (line.startsWith(prefix)) return@buildList
        }
    }

    private fun launch(stopAfterCommits: Int): ChildJvm {
        launches++
        return ChildJvm.start(
            CrashTrainer::class.java.name,
            listOf(target.base, stopAfterCommits.toString()) + listOfNotNull("frozen".takeIf { frozen }),
            base.resolveSibling("${base.name}-child.log"),
            target.jvmOptions,
        )
    }

    /** A launch's first commit continues the run: the next step after the latest (the first save of a new run). */
    private fun checkContinues(first: Pair<Int, Long>, latest: Pair<Int, Long>?) {
        val expected = if (latest == null) {
            1 to CrashPolicy.SAVE_EVERY.toLong()
        } else {
            // A batch-level checkpoint resumes the epoch it was taken in from its first batch; the step counts on.
            latest.first to latest.second + CrashPolicy.SAVE_EVERY
        }
        withClue("first checkpoint of launch $launches (epoch, step) after latest $latest") { first shouldBe expected }
    }

    /**
     * What a user does after a crash: open, verify, load best and latest. Returns the latest's (epoch, step), or
     * null when nothing was committed yet (an early kill of the lane's first launch).
     */
    private fun checkRun(): Pair<Int, Long>? {
        if (!Files.exists(runDir.resolve("manifest.json"))) return null
        val run = Checkpoints.open(target.run)
        if (run.all.isEmpty()) return null
        val report = run.verify()
        withClue("verify: ${report.results}") {
            report.results.filter { it.status != CheckpointStatus.Ok }.shouldBeEmpty()
            report.results.size shouldBe run.all.size
        }
        val best = run.best()
        val latest = run.latest()
        CrashPolicy.newModel(frozen).use { best.loadWeightsInto(it) }
        CrashPolicy.newModel(frozen).use { latest.loadWeightsInto(it) }
        if (frozen) {
            linkedFilesSeen += run.all.sumOf { checkpoint ->
                Files.list(runDir.resolve(checkpoint.path)).use { files -> files.filter { (Files.getAttribute(it, "unix:nlink") as Int) > 1 }.count().toInt() }
            }
        }
        val steps = run.all.map { it.step }
        withClue("latest is the newest listed checkpoint: $steps") { latest.step shouldBe steps.max() }
        return CrashPolicy.numbering(latest.path)
    }

    /**
     * Checkpoint directories the manifest does not list: what a kill between a commit's file move and its manifest
     * write, or between a release's manifest write and its deletions, would leave if the next writer did not finish it.
     */
    private fun unlisted(): List<String> {
        val listed = if (Files.exists(runDir.resolve("manifest.json"))) Checkpoints.open(target.run).all.map { it.path }.toSet() else emptySet()
        if (!Files.isDirectory(runDir)) return emptyList()
        return Files.list(runDir).use { entries -> entries.filter { Files.isDirectory(it) && it.name !in listed }.map { it.name }.toList() }
    }

    private fun leftovers(): List<String> = Files.walk(runDir).use { paths ->
        paths.map { it.name }.filter { it.contains(".ckpt-tmp-") || it.contains(".ckpt-bak-") }.toList()
    }

    companion object {
        /** keepLast = 2 plus keepBest = 2. */
        const val RETAINED = 4
        const val EARLY_ONE_IN = 5
        const val EARLY_WINDOW_MILLIS = 3_000L
        private const val GO = "GO"
    }
}

/** The share of timed kills that must land with a commit in flight (CrashSpec measured more than it; see docs/crash-safety.md). */
private const val IN_COMMIT_SHARE = 0.5

package dev.ckpt.s3

import dev.ckpt.durability.CrashLane
import dev.ckpt.durability.CrashTarget
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.shouldBe
import kotlin.random.Random

/**
 * The crash campaign on S3: child JVMs ([dev.ckpt.durability.CrashTrainer]) train into `s3://bucket/lane/run` on the
 * test JVM's S3Proxy and are killed with SIGKILL at random moments, mid-PUT included; after each kill the run opens
 * from S3, every listed checkpoint verifies, best and latest load, and the next launch resumes exactly. The checks
 * are [CrashLane]'s, the same as for local runs.
 *
 * Default: 5 kills (the suite stays short). A longer campaign:
 * `CKPT_S3_CRASH_KILLS=100 mvn -B -ntp -pl s3 -am test -Dtest=S3CrashSpec -Dsurefire.failIfNoSpecifiedTests=false`
 * (also `-Dckpt.s3crash.kills=100`; `CKPT_S3_CRASH_SEED` likewise).
 */
class S3CrashSpec : FunSpec({
    fun setting(name: String, default: Long): Long =
        (System.getProperty("ckpt.s3crash.$name") ?: System.getenv("CKPT_S3_CRASH_" + name.uppercase()))?.toLong() ?: default

    val kills = setting("kills", 5).toInt()
    val seed = setting("seed", 20_261_201)

    test("$kills SIGKILLs of a trainer writing to S3 leave a run that opens, verifies, loads best and latest, and resumes exactly") {
        S3TestServer.configureThisJvm()
        val bucket = S3TestServer.newBucket("crash")
        val target = CrashTarget(
            base = "s3://$bucket/lane0",
            run = "s3://$bucket/lane0/run",
            runDir = S3TestServer.bucketDirectory(bucket).resolve("lane0/run"),
            logs = tempdir().toPath().resolve("lane0"),
            jvmOptions = S3TestServer.childJvmOptions(),
        )
        val started = System.nanoTime()
        val result = CrashLane(target, Random(seed), kills, maxDelayMillis = 1_500).run()
        println(
            "S3CrashSpec: $kills kills in ${"%.1f".format((System.nanoTime() - started) / 1e9)} s (seed $seed); ${result.early} early; " +
                "${result.timedInCommit} of the ${result.timed} timed kills landed with a commit begun and not yet reported; " +
                "${result.commitsSeen} commits reported, ${result.killedAfterCommitInFlight} kills left an unreported commit; " +
                "unlisted checkpoint directories checked ${result.unlistedChecks} times, none found",
        )
        withClue("every kill landed on a running child") { result.liveKills shouldBe kills }
        withClue("timed kills that landed with a commit in flight: ${result.timedInCommit} of ${result.timed}") {
            (result.timedInCommit >= result.timed * S3_IN_COMMIT_SHARE) shouldBe true
        }
        withClue("every timed launch and the final launch were checked for unlisted directories") {
            result.unlistedChecks shouldBe result.timed + 1
        }
    }
})

/** The share of timed kills that must land with a commit in flight (S3 commits are slower than local ones). */
private const val S3_IN_COMMIT_SHARE = 0.5

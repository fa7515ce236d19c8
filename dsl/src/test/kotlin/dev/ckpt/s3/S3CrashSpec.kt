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
 * `CKPT_S3_CRASH_KILLS=100 mvn -B -ntp -pl dsl -am test -Dtest=S3CrashSpec -Dsurefire.failIfNoSpecifiedTests=false`
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
        withClue("every kill landed on a running child") { result.liveKills shouldBe kills }
        withClue("every launch after a kill opened the run before it was killed or finished") {
            result.openedAfterKill shouldBe result.launchesAfterKill
        }
        withClue("no kill left a checkpoint the manifest does not list, once the next writer opened the run") { result.orphans shouldBe 0 }
        println(
            "S3CrashSpec: $kills kills in ${"%.1f".format((System.nanoTime() - started) / 1e9)} s (seed $seed); ${result.early} early; " +
                "${result.commitsSeen} commits reported, ${result.killedAfterCommitInFlight} kills left an unreported commit",
        )
    }
})

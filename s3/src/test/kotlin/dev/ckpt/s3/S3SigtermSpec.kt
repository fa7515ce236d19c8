package dev.ckpt.s3

import dev.ckpt.stop.StopCampaign
import dev.ckpt.stop.StopPolicy
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.shouldBe
import kotlin.random.Random

/**
 * SIGTERM on S3: a child JVM ([dev.ckpt.stop.StopTrainer]) trains into `s3://bucket/lane/runs/stop` on the test
 * JVM's S3Proxy, is sent SIGTERM inside an epoch, commits its resume point on S3 through the marker protocol and
 * exits with 143; a relaunch finishes the run. The batches the two launches trained are exactly an uninterrupted
 * run's, and the run has its checkpoints, steps and engine counters.
 */
class S3SigtermSpec : FunSpec({
    test("a SIGTERM inside an epoch commits the resume point on S3; the relaunch finishes with no batch lost or trained twice") {
        S3TestServer.configureThisJvm()
        val bucket = S3TestServer.newBucket("sigterm")
        val runDir = S3TestServer.bucketDirectory(bucket).resolve("lane0/${StopPolicy.RUN}")
        val epochs = StopPolicy.epochsFor(1, minimum = 2)
        val campaign = StopCampaign("s3://$bucket/lane0", runDir, tempdir().toPath(), epochs, S3TestServer.childJvmOptions())
        val result = campaign.run(listOf(StopCampaign.Stop.TERM), Random(20_261_208))
        withClue("the stop committed a resume point on S3") { result.commitMillis.size shouldBe 1 }
        result.trained shouldBe (epochs * StopPolicy.EPOCH_BATCHES).toLong()
        StopCampaign.checkSameRun(campaign.run, runDir, StopCampaign.straight(tempdir().toPath(), epochs))
    }
})

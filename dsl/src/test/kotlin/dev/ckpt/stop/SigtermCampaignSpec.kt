package dev.ckpt.stop

import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.shouldBe
import kotlin.random.Random

/**
 * SIGTERM at random moments, in child JVMs training through `saver.fit` ([StopTrainer], driven by [StopCampaign]):
 * every stop commits a resume point at the next batch end and the JVM exits with 143; each relaunch continues at
 * the batch after it. Over all launches the trained batches are exactly an uninterrupted run's (each launch starts
 * where the previous one's committed state ends: none lost, none twice), and the run ends with the same
 * checkpoints, steps and engine counters. Prints the stops' signal-to-commit times. `CKPT_STOP_SIGNALS=200` runs a
 * longer campaign (default 20).
 */
class SigtermCampaignSpec : FunSpec({
    test("SIGTERM campaign: no batch lost, none trained twice, the same run as without stops") {
        val signals = System.getenv("CKPT_STOP_SIGNALS")?.toInt() ?: 20
        val base = tempdir().toPath()
        val epochs = StopPolicy.epochsFor(signals)
        val total = epochs * StopPolicy.EPOCH_BATCHES
        val campaign = StopCampaign(base.toString(), base.resolve(StopPolicy.RUN), base.resolveSibling("${base.fileName}-stop"), epochs)
        val result = campaign.run(List(signals) { StopCampaign.Stop.TERM }, Random(20_261_206))
        withClue("the launches trained exactly the uninterrupted run's batches") { result.trained shouldBe total.toLong() }
        StopCampaign.checkSameRun(campaign.run, base.resolve(StopPolicy.RUN), StopCampaign.straight(tempdir().toPath(), epochs))
        withClue("every stop committed its state (a stop on a save point's batch finds it committed already and says so too)") {
            result.commitMillis.size shouldBe signals
        }
        val sorted = result.commitMillis.sorted()
        println(
            "SIGTERM campaign: $signals stops over ${result.launches} launches, ${result.trained} batches trained for $total (batches lost: 0, trained twice: 0); " +
                "signal-to-commit ms: median ${sorted[sorted.size / 2]}, max ${sorted.last()} (${sorted.size} resume points)",
        )
    }
})

package dev.ckpt.stop

import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.ints.shouldBeGreaterThanOrEqual
import io.kotest.matchers.shouldBe
import kotlin.random.Random

/**
 * SIGTERM and SIGKILL mixed, at random moments, on one run ([StopCampaign]): the crash campaign's invariants still
 * hold. Once a launch has opened the run, no checkpoint directory is missing from the manifest; each SIGTERM commits
 * exactly where training got to; a SIGKILL loses at most what was trained since the last commit; and the finished
 * run verifies and has the uninterrupted run's checkpoints, steps and engine counters (numbering continues exactly).
 * `CKPT_MIXED_STOPS=40` runs a longer campaign (default 6, about half of each, in a seeded random order).
 */
class MixedStopSpec : FunSpec({
    test("SIGTERM and SIGKILL mixed: the run opens with nothing unlisted, verifies, and numbers on exactly") {
        val count = System.getenv("CKPT_MIXED_STOPS")?.toInt() ?: 6
        val random = Random(20_261_207)
        val stops = List(count) { if (it % 2 == 0) StopCampaign.Stop.TERM else StopCampaign.Stop.KILL }.shuffled(random)
        val base = tempdir().toPath()
        val epochs = StopPolicy.epochsFor(count, minimum = 2) + 2 // a SIGKILL launch may commit up to 15 batches past its stop
        val campaign = StopCampaign(base.toString(), base.resolve(StopPolicy.RUN), base.resolveSibling("${base.fileName}-mixed"), epochs)
        val result = campaign.run(stops, random)
        withClue("every launch was checked once it had opened the run") { result.unlistedChecks shouldBe stops.size + 1 }
        withClue("SIGKILLs only add batches trained again, never remove one") { result.trained.toInt() shouldBeGreaterThanOrEqual epochs * StopPolicy.EPOCH_BATCHES }
        StopCampaign.checkSameRun(campaign.run, base.resolve(StopPolicy.RUN), StopCampaign.straight(tempdir().toPath(), epochs))
        println(
            "MixedStopSpec: ${stops.count { it == StopCampaign.Stop.TERM }} SIGTERMs and ${stops.count { it == StopCampaign.Stop.KILL }} SIGKILLs " +
                "over ${result.launches} launches; ${result.trained} batches trained for ${epochs * StopPolicy.EPOCH_BATCHES}",
        )
    }
})

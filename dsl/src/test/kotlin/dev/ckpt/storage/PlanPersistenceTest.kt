package dev.ckpt.storage

import dev.ckpt.CheckpointKind
import dev.ckpt.Resume
import dev.ckpt.core.engine.CheckpointEngine
import dev.ckpt.core.engine.Decision
import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.core.policy.Retention
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.property.Arb
import io.kotest.property.arbitrary.double
import io.kotest.property.arbitrary.int
import io.kotest.property.arbitrary.list
import io.kotest.property.checkAll

/**
 * The writer persists the engine's [dev.ckpt.core.engine.SavePlan] as it is: the manifest's list, best, latest and
 * releases are the plan's, never a second computation of them; a plan that does not fit the run is refused before
 * anything is written.
 */
class PlanPersistenceTest : FunSpec({

    test("the manifest lists the plan's checkpoints in the plan's order, with the plan's best and releases") {
        JimfsSandbox().use { box ->
            box.writer().use { w ->
                w.save("e01", 1, best = true)
                w.save("e02", 2)
                // A recomputation from the manifest would list e01, e03 with best e01; the plan says otherwise.
                w.commit("e03", facts(3), model("3"), RunChange(listOf("e03", "e01"), best = null, latest = "e03", released = listOf("e02"), engineState = null))
                w.manifest.checkpoints.map { it.path } shouldContainExactly listOf("e03", "e01")
                w.manifest.best shouldBe null
                w.manifest.latest shouldBe "e03"
                w.manifest.releasing.map { it.path } shouldContainExactly listOf("e02")
            }
            box.reader().manifest.checkpoints.map { it.path } shouldContainExactly listOf("e03", "e01")
        }
    }

    test("a plan that keeps or releases what the run does not list, or loses track of a listed checkpoint, writes nothing") {
        JimfsSandbox().use { box ->
            box.writer().use { w ->
                w.save("e01", 1, best = true)
                w.save("e02", 2)
                val before = snapshot(box.run)
                fun refused(change: RunChange): String =
                    shouldThrow<IllegalArgumentException> { w.commit("e03", facts(3), model("3"), change) }.message!!
                refused(RunChange(listOf("e01", "e03"), "e01", "e03", emptyList(), null)) shouldContain "neither keeps nor releases \"e02\""
                refused(RunChange(listOf("e01", "e02", "e09", "e03"), "e01", "e03", emptyList(), null)) shouldContain "keeps \"e09\", which the run does not list"
                refused(RunChange(listOf("e01", "e02"), "e01", "e02", emptyList(), null)) shouldContain "does not list the checkpoint it commits"
                refused(RunChange(listOf("e01", "e03"), "e01", "e03", listOf("e02", "e09"), null)) shouldContain "\"e09\" cannot be released"
                refused(RunChange(listOf("e01", "e02", "e03"), "e01", "e03", emptyList(), null, resumePoint = true)) shouldContain
                    "lists the resume point among the checkpoints"
                snapshot(box.run) shouldBe before
                w.manifest.checkpoints.map { it.path } shouldContainExactly listOf("e01", "e02")
            }
        }
    }

    test("over random runs, the manifest after each commit is the engine's plan, and reads back as the engine's list") {
        var saves = 0
        var points = 0
        var released = 0
        checkAll(
            40,
            Arb.int(0..2), // template: epoch paths, or one fixed path
            Arb.int(0..3), // keepLast (0: no rule)
            Arb.int(0..2), // keepBest (0: no rule)
            Arb.int(0..1), // saveBestOnly
            Arb.list(Arb.double(0.0, 1.0), 1..12),
        ) { template, keepLast, keepBest, bestOnly, values ->
            val retention = Retention.keepAll().withKeepLast(keepLast.takeIf { it > 0 }).withKeepBest(keepBest.takeIf { it > 0 })
            val policy = CheckpointPolicy.builder(if (template == 2) "runs/x/last" else "runs/x/e{epoch:02d}")
                .monitor("val_accuracy").saveBestOnly(bestOnly == 1).retention(retention).build()
            JimfsSandbox().use { box ->
                val engine = CheckpointEngine.start(policy, FIXED_CLOCK)
                engine.onTrainBegin(listOf("loss", "val_accuracy"))
                box.writer().use { w ->
                    values.forEachIndexed { epoch, value ->
                        engine.onEpochBegin(epoch)
                        engine.onBatchEnd(0, mapOf("loss" to 1.0))
                        val logs = mapOf("loss" to 1.0, "val_accuracy" to value)
                        when (val decision = engine.onEpochEnd(epoch, logs)) {
                            is Decision.Save -> {
                                val plan = decision.plan()
                                val record = decision.checkpoint()
                                val previousPoint = w.manifest.resumePoint?.path
                                val facts = CheckpointFacts.of(record, "val_accuracy", decision.newBest(), CheckpointKind.WEIGHTS, null, null)
                                w.commit(record.path(), facts, model("$epoch"), RunChange.of(plan))
                                engine.apply(decision)
                                w.manifest.checkpoints.map { it.path } shouldContainExactly plan.after().kept().map { it.path() }
                                w.manifest.best shouldBe plan.after().bestPath()
                                w.manifest.latest shouldBe plan.after().latestPath()
                                // A save also releases the resume point it supersedes.
                                w.manifest.releasing.map { it.path } shouldContainExactly plan.released().map { it.path() } + listOfNotNull(previousPoint)
                                w.manifest.engineState shouldBe StoredEngineState.of(plan.state()).toJson()
                                saves++
                                released += plan.released().size
                            }
                            is Decision.Skip -> {
                                val point = engine.resumePoint(logs)
                                val facts = CheckpointFacts.of(point.checkpoint(), "val_accuracy", false, CheckpointKind.FULL, null, null)
                                w.commit(point.path(), facts, model("p$epoch"), RunChange.of(point.plan(), resumePoint = true))
                                engine.apply(point)
                                w.manifest.resumePoint?.path shouldBe point.path()
                                points++
                            }
                            else -> Unit
                        }
                        w.release().shouldBeEmpty()
                        val stored = reader(box.run).manifest
                        stored shouldBe w.manifest
                        Resume.checkpoints(stored) shouldBe engine.checkpoints()
                    }
                }
            }
        }
        // Each branch was reached: saves that released checkpoints, and resume points of skipped saves.
        saves shouldBeGreaterThan 40
        released shouldBeGreaterThan 0
        points shouldBeGreaterThan 0
    }
})

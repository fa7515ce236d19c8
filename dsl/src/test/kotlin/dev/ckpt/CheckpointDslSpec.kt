package dev.ckpt

import dev.ckpt.core.CheckpointConfigException
import dev.ckpt.core.monitor.Direction
import dev.ckpt.core.monitor.Mode
import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.core.policy.MissingMonitor
import dev.ckpt.core.policy.Retention
import dev.ckpt.core.policy.SaveFrequency
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.nulls.shouldBeNull
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldStartWith
import java.nio.file.Path
import java.time.Duration

class CheckpointDslSpec : FunSpec({
    test("defaults are Keras's: val_loss, AUTO, every epoch, keep all, full model") {
        val policy = checkpoint("runs/x/e{epoch:02d}").policy
        policy.monitor().metric() shouldBe "val_loss"
        policy.monitor().direction() shouldBe Direction.MIN
        policy.mode() shouldBe Mode.AUTO
        policy.saveFrequency() shouldBe SaveFrequency.everyEpoch()
        policy.retention() shouldBe Retention.keepAll()
        policy.saveBestOnly() shouldBe false
        policy.saveWeightsOnly() shouldBe false
        policy.missingMonitor() shouldBe MissingMonitor.SKIP_AND_WARN
    }

    test("every option reaches the policy") {
        val policy = checkpoint("runs/x/b{batch:04d}-{loss:.3f}") {
            monitor = "loss"
            mode = MIN
            minDelta = 0.01
            saveBestOnly = true
            saveWeightsOnly = true
            saveFrequency = everyBatches(50)
            initialValueThreshold = 2.0
            keepBest = 3
            keepLast = 2
            keepEveryNthEpoch = 5
            onMissingMonitor = MissingMonitor.FAIL
            verbose = true
        }.policy
        policy.filepath().source() shouldBe "runs/x/b{batch:04d}-{loss:.3f}"
        policy.monitor().metric() shouldBe "loss"
        policy.monitor().minDelta() shouldBe 0.01
        policy.mode() shouldBe Mode.MIN
        policy.saveBestOnly() shouldBe true
        policy.saveWeightsOnly() shouldBe true
        policy.saveFrequency() shouldBe SaveFrequency.everyBatches(50)
        policy.initialValueThreshold() shouldBe 2.0
        policy.retention() shouldBe Retention(3, 2, 5)
        policy.missingMonitor() shouldBe MissingMonitor.FAIL
        policy.verbose() shouldBe true
    }

    test("wall-time saving and a declared custom metric direction") {
        val policy = checkpoint("runs/x/s{step}") {
            monitor = "dice"
            metricDirection("dice", Direction.MAX)
            saveFrequency = every(Duration.ofMinutes(30))
        }.policy
        policy.saveFrequency() shouldBe SaveFrequency.every(Duration.ofMinutes(30))
        policy.monitor().direction() shouldBe Direction.MAX
    }

    test("every N epochs and keep one per span reach the policy") {
        val policy = checkpoint("runs/x/e{epoch:02d}-{val_loss:.2f}") {
            saveFrequency = everyEpochs(5)
            keepLast = 2
            keepOnePer = Duration.ofHours(6)
        }.policy
        policy.saveFrequency() shouldBe SaveFrequency.everyEpochs(5)
        policy.retention() shouldBe Retention(null, 2, null, Duration.ofHours(6))
    }

    test("the run directory is the template's fixed leading directories under the chosen directory") {
        val base = Path.of("/data/experiments")
        checkpoint("runs/digits/e{epoch:02d}-{val_loss:.2f}") { directory = base }.runLocation shouldBe base.resolve("runs/digits").toString()
        checkpoint("runs/digits/best") { directory = base }.runLocation shouldBe base.resolve("runs/digits").toString()
        checkpoint("e{epoch}") { directory = base }.runLocation shouldBe base.toString()
    }

    test("the options start from the core builder's defaults: an empty block is the core's default policy") {
        checkpoint("runs/x/e{epoch}").policy shouldBe CheckpointPolicy.builder("runs/x/e{epoch}").build()
        checkpoint("runs/x/e{epoch}") { keepOnePer.shouldBeNull(); mode shouldBe Mode.AUTO; monitor shouldBe "val_loss" }
    }

    test("a monitor set in the block is explicit, the default is not, and both reach the policy") {
        checkpoint("runs/x/e{epoch}").policy.monitorExplicit() shouldBe false
        checkpoint("runs/x/e{epoch}") { monitor = "val_loss" }.policy.monitorExplicit() shouldBe true
    }

    test("an option that cannot work fails when the block ends, naming the option") {
        shouldThrow<CheckpointConfigException> { checkpoint("runs/x/e{epoch}") { keepLast = 0 } }.message shouldBe
            "keepLast: needs a count >= 1 (or null for no rule), got 0"
        shouldThrow<CheckpointConfigException> { checkpoint("runs/x/e{epoch}") { monitor = "my_score" } }.option() shouldBe "mode"
        shouldThrow<CheckpointConfigException> { checkpoint("runs/x/e{epoch}-{batch}") }.message!! shouldStartWith
            "filepath: field 'batch' in \"runs/x/e{epoch}-{batch}\" can never be filled"
        shouldThrow<CheckpointConfigException> { checkpoint("runs/x/e{epoch:02q}") }.option() shouldBe "filepath"
        shouldThrow<CheckpointConfigException> { checkpoint("runs/x/e{epoch}") { saveFrequency = everyEpochs(0) } }.message shouldBe
            "saveFrequency: every N epochs needs N >= 1, got 0"
        shouldThrow<CheckpointConfigException> { checkpoint("runs/x/e{epoch}") { keepOnePer = Duration.ofHours(-6) } }.message shouldBe
            "keepOnePer: needs a positive duration (or null for no rule), got PT-6H"
        shouldThrow<CheckpointConfigException> { checkpoint("runs/x/b{batch}") { saveFrequency = everyEpochs(2) } }.message shouldBe
            "filepath: field 'batch' in \"runs/x/b{batch}\" can never be filled: saveFrequency everyEpochs(2) saves at epoch " +
            "ends, where there is no batch; use {epoch} or {step}, or save every N batches"
    }
})

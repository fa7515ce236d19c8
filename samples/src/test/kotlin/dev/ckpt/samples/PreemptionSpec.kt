package dev.ckpt.samples

import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.doubles.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.io.ByteArrayOutputStream
import java.io.PrintStream

class PreemptionSpec : FunSpec({
    test("the preemption sample: SIGTERM inside an epoch, a relaunch, no batch lost and none trained twice") {
        val dir = tempdir().toPath().resolve("preemption")
        val buffer = ByteArrayOutputStream()
        val outcome = PrintStream(buffer, true, Charsets.UTF_8).use { runPreemption(dir, 4, it) }
        val printed = buffer.toString(Charsets.UTF_8)

        outcome.stoppedExitCode shouldBe 143
        outcome.lost shouldBe 0L
        outcome.twice shouldBe 0L
        outcome.launches.sum() shouldBe outcome.uninterrupted
        printed shouldContain "ckpt | stop: SIGTERM received; saving at epoch 3, batch "
        printed shouldContain "batches lost: 0, trained twice: 0"
        printed shouldContain "validation accuracy"
        outcome.restoredAccuracy shouldBeGreaterThan 0.5
    }
})

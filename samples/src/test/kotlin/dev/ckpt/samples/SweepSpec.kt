package dev.ckpt.samples

import dev.ckpt.Checkpoints
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.io.ByteArrayOutputStream
import java.io.PrintStream

class SweepSpec : FunSpec({
    test("the sweep sample: three runs listed, the best restored with the accuracy it logged") {
        val root = tempdir().toPath().resolve("sweep")
        val buffer = ByteArrayOutputStream()
        val outcome = PrintStream(buffer, true, Charsets.UTF_8).use { runSweep(root, 3, it) }
        val printed = buffer.toString(Charsets.UTF_8)

        outcome.runs shouldBe 3
        outcome.restoredMatchesLogged shouldBe true
        val ranked = Checkpoints.runs(root).groups.single().runs
        ranked.map { it.path }.toSet() shouldBe SWEEP_RATES.map { "lr-$it" }.toSet()
        outcome.bestRun shouldBe ranked.first().path
        outcome.loggedAccuracy shouldBe ranked.first().bestValue
        printed shouldContain "runs under ${root.toAbsolutePath()}: 3 runs"
        printed.trimEnd().lines().last() shouldBe
            "  validation accuracy %.4f (logged: %.4f) - identical".format(outcome.restoredAccuracy, outcome.loggedAccuracy)
    }
})

package dev.ckpt.samples

import dev.ckpt.Checkpoints
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.io.ByteArrayOutputStream
import java.io.PrintStream

class DigitsS3Spec : FunSpec({
    test("the S3 sample trains into s3://, lists the run from S3, and the best restored from S3 scores exactly its logged accuracy") {
        val buffer = ByteArrayOutputStream()
        LocalS3.start("ckpt-demo").use { s3 ->
            val outcome = PrintStream(buffer, true, Charsets.UTF_8).use { runDigitsOnS3("s3://ckpt-demo/runs/digits", 4, it) }
            val printed = buffer.toString(Charsets.UTF_8)
            print(printed)

            outcome.restoredMatchesLogged shouldBe true
            printed shouldContain "ckpt | Epoch 1: saving model to s3://ckpt-demo/runs/digits/e01-acc"
            printed shouldContain "listed in s3://ckpt-demo/runs/digits/manifest.json:"
            printed shouldContain "verify: ${outcome.kept.size} of ${outcome.kept.size} checkpoints intact"
            printed shouldContain "(logged at epoch ${outcome.bestEpoch}: %.4f) - identical".format(outcome.loggedAccuracy)
            val run = Checkpoints.open("s3://ckpt-demo/runs/digits")
            run.all.map { it.path } shouldBe outcome.kept
            outcome.kept shouldContain run.best().path
            s3.endpoint.host shouldBe "127.0.0.1"
        }
    }
})

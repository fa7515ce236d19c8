package dev.ckpt.storage

import dev.ckpt.Checkpoints
import dev.ckpt.S3SetupException
import dev.ckpt.checkpoint
import dev.ckpt.core.policy.Retention
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.shouldBe

/**
 * ckpt-dsl's tests run without ckpt-s3 on the class path, as a user's project does that did not add it: every entry
 * point that takes an `s3://` location says, in one message, which artifact to add.
 */
class MissingS3ModuleSpec : FunSpec({
    val version = System.getProperty("ckpt.version") ?: error("surefire sets ckpt.version (dsl/pom.xml)")
    fun message(run: String) = "run $run is on S3, which needs the module dev.ckpt:ckpt-s3:$version on the class path " +
        "(it brings the AWS SDK): add it to your dependencies, next to ckpt-dsl (docs/s3.md)"

    test("ckpt-s3 is not on this class path") {
        shouldThrow<ClassNotFoundException> { Class.forName("dev.ckpt.storage.S3StoreProvider") }
    }

    context("each entry point names the artifact to add") {
        val calls: List<Pair<String, () -> Any>> = listOf(
            "Checkpoints.open" to { Checkpoints.open("s3://ckpt-demo/runs/digits") },
            "Checkpoints.prune" to { Checkpoints.prune("s3://ckpt-demo/runs/digits", Retention.keepAll().withKeepLast(1)) },
        )
        withData(nameFn = { it.first }, calls) { (_, call) ->
            shouldThrow<S3SetupException> { call() }.message shouldBe message("s3://ckpt-demo/runs/digits")
        }
    }

    test("a callback's run location names the artifact to add, with the filepath's run") {
        val saver = checkpoint("s3://ckpt-demo/runs/digits/e{epoch:02d}")
        shouldThrow<S3SetupException> { saver.runLocation }.message shouldBe message("s3://ckpt-demo/runs/digits")
    }

    test("the exception names the location it was met at") {
        shouldThrow<S3SetupException> { Checkpoints.open("s3://ckpt-demo/x") }.location shouldBe "s3://ckpt-demo/x"
    }
})

package dev.ckpt.s3

import dev.ckpt.Checkpoints
import dev.ckpt.LoadOption
import dev.ckpt.checkpoint
import dev.ckpt.kotlindl.Digits
import dev.ckpt.kotlindl.variableBits
import dev.ckpt.storage.leftovers
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import java.nio.file.Files

/**
 * The public API on S3, end to end: a policy whose filepath is `s3://bucket/prefix/...` trains and saves to the
 * test server (through ckpt's own client, configured by the SDK's standard chain), `Checkpoints.open("s3://...")`
 * lists, verifies and restores bitwise, and a resumed run continues from what it reads back from S3.
 */
class S3LifecycleSpec : FunSpec({
    S3TestServer.configureThisJvm()
    val bucket = S3TestServer.newBucket("lifecycle")
    val location = "s3://$bucket/runs/digits"
    val (train, valid) = (Digits.train() to Digits.validation())

    fun saver() = checkpoint("$location/e{epoch:02d}") {
        monitor = "val_accuracy"
        mode = MAX
        keepLast = 2
        keepBest = 1
        resume = true
    }

    val first = saver()
    val (trainedBits, trainedPredictions) = Digits.newCompiledModel().use { model ->
        model.fit(train, valid, 3, 32, 64, listOf(first))
        variableBits(model, includeOptimizer = true) to Digits.predictionBits(model)
    }
    // Read back before the resumed run below releases what its retention lets go.
    val afterFirst = Checkpoints.open(location)
    val firstVerify = afterFirst.verify()
    val restoredBits = Digits.newCompiledModel().use { model ->
        afterFirst.latest().loadWeightsInto(model, LoadOption.WITH_OPTIMIZER_STATE)
        variableBits(model, includeOptimizer = true)
    }
    val rebuiltPredictions = afterFirst.latest().loadModel(Digits::compile).use { Digits.predictionBits(it) }

    /** The model's state when training begins, after the checkpoint callback (listed before it) restored the latest. */
    var atResume: Map<String, List<Int>> = emptyMap()
    val second = saver()
    Digits.newCompiledModel().use { model ->
        val capture = object : Callback() {
            override fun onTrainBegin() {
                atResume = variableBits(model, includeOptimizer = true)
            }
        }
        model.fit(train, valid, 2, 32, 64, listOf(second, capture))
    }

    test("a policy with an s3:// filepath saves every epoch to S3 and names its run by the s3:// location") {
        first.runLocation shouldBe location
        first.saved shouldContainExactly listOf("$location/e01", "$location/e02", "$location/e03")
        afterFirst.location shouldBe location
        afterFirst.latest().location shouldBe "$location/e03"
    }

    test("Checkpoints.open reads the run from S3: its checkpoints, best, latest and by epoch, and verifies every object") {
        afterFirst.latest().path shouldBe "e03"
        afterFirst.epoch(3).step shouldBe afterFirst.latest().step
        afterFirst.best().metrics.getValue("val_accuracy") shouldBe afterFirst.all.maxOf { it.metrics.getValue("val_accuracy") }
        afterFirst.all.map { it.path } shouldContain "e03"
        firstVerify.allOk shouldBe true
        firstVerify.results.map { it.path } shouldBe afterFirst.all.map { it.path }
    }

    test("the metric history lives on S3 too: one record per epoch of both runs, in order, naming what each saved") {
        val history = Checkpoints.open(location).history()
        history.map { it.epoch } shouldContainExactly listOf(1, 2, 3, 4, 5)
        history.map { it.saved } shouldContainExactly listOf(listOf("e01"), listOf("e02"), listOf("e03"), listOf("e04"), listOf("e05"))
        history.all { "val_accuracy" in it.metrics } shouldBe true
    }

    test("the latest checkpoint restores from S3 bitwise: weights and optimizer state, and the rebuilt model predicts the same") {
        restoredBits.keys.any { "Adam" in it || "optimizer" in it.lowercase() } shouldBe true
        restoredBits shouldBe trainedBits
        rebuiltPredictions shouldBe trainedPredictions
    }

    test("a resumed run starts from the latest checkpoint read back from S3 and continues the numbering and the steps") {
        atResume shouldBe trainedBits
        second.saved shouldContainExactly listOf("$location/e04", "$location/e05")
        val run = Checkpoints.open(location)
        run.latest().path shouldBe "e05"
        run.epoch(4).step shouldBe afterFirst.latest().step / 3 * 4
        run.verify().allOk shouldBe true
    }

    test("retention deletes the objects of released checkpoints from the bucket, and no temporary object remains") {
        val run = Checkpoints.open(location)
        val kept = run.all.map { it.path }
        kept shouldContain "e04"
        kept shouldContain "e05"
        kept.size shouldBe if (run.best().path in listOf("e04", "e05")) 2 else 3
        val root = S3TestServer.bucketDirectory(bucket).resolve("runs/digits")
        for (released in (first.saved + second.saved).map { it.substringAfterLast('/') } - kept.toSet()) {
            Files.exists(root.resolve(released)) shouldBe false
        }
        leftovers(root).shouldBeEmpty()
        Files.exists(root.resolve("run.lock")) shouldBe false
    }

    test("a checkpoint on S3 has no local directory and says how to read it instead") {
        shouldThrow<IllegalStateException> { afterFirst.latest().directory }.message shouldBe
            "checkpoint $location/e03 is not in a local directory; read it through loadModel or loadWeightsInto"
    }
})

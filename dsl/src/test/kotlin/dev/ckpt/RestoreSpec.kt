package dev.ckpt

import dev.ckpt.kotlindl.Digits
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.activation.Activations
import org.jetbrains.kotlinx.dl.api.core.layer.core.Dense
import org.jetbrains.kotlinx.dl.api.core.layer.core.Input
import java.io.IOException
import java.nio.file.Files
import java.nio.file.NoSuchFileException

class RestoreSpec : FunSpec({
    val (train, valid) = (Digits.train() to Digits.validation())
    val dir = tempdir().toPath()
    Digits.newCompiledModel().use { model ->
        model.fit(train, valid, 2, 32, 64, listOf(
            checkpoint("weights/e{epoch:02d}") { saveWeightsOnly = true; directory = dir },
            checkpoint("full/e{epoch:02d}") { monitor = "val_accuracy"; mode = MAX; directory = dir },
        ))
    }

    test("a run lists its checkpoints with epoch, step and metrics; best, latest and by epoch") {
        val run = Checkpoints.open(dir.resolve("full"))
        run.all.map { it.path } shouldBe listOf("e01", "e02")
        run.all.map { it.epoch } shouldBe listOf(1, 2)
        run.latest().path shouldBe "e02"
        run.epoch(1).step shouldBe run.all[0].step
        run.all[1].step shouldBe run.all[0].step * 2
        run.all[0].metrics.keys shouldBe setOf("loss", "accuracy", "val_loss", "val_accuracy")
        run.best().metrics.getValue("val_accuracy") shouldBe run.all.maxOf { it.metrics.getValue("val_accuracy") }
    }

    test("every epoch's logs and the checkpoint saved in it are recorded in the run's history") {
        val run = Checkpoints.open(dir.resolve("full"))
        val history = run.history()
        history.map { it.epoch } shouldBe listOf(1, 2)
        history.map { it.saved } shouldBe listOf(listOf("e01"), listOf("e02"))
        history.map { it.metrics } shouldBe run.all.map { it.metrics }
        history.map { it.step } shouldBe run.all.map { it.step }
        Checkpoints.open(dir.resolve("weights")).history().map { it.metrics } shouldBe history.map { it.metrics }
    }

    test("a checkpoint tells its monitor, creation time, model class and metadata checksum") {
        val run = Checkpoints.open(dir.resolve("full"))
        val latest = run.latest()
        latest.isLatest shouldBe true
        run.all.first().isLatest shouldBe false
        latest.monitor shouldBe "val_accuracy"
        latest.monitorValue shouldBe latest.metrics.getValue("val_accuracy")
        latest.modelClass shouldBe "Sequential"
        (latest.createdAt > run.all.first().createdAt.minusSeconds(1)) shouldBe true
        (latest.createdAt <= java.time.Instant.now()) shouldBe true
        val metadata = Files.readAllBytes(latest.directory.resolve("checkpoint.json"))
        latest.metadataSha256 shouldBe java.security.MessageDigest.getInstance("SHA-256").digest(metadata).joinToString("") { "%02x".format(it) }
        run.runId shouldBe Regex("\"runId\": \"([^\"]+)\"").find(String(metadata))!!.groupValues[1]
        run.policySettings["monitor"] shouldBe "val_accuracy"
        run.policySettings["direction"] shouldBe "MAX"
    }

    test("a checkpoint lists its files as committed, and its size is what they take on disk") {
        val latest = Checkpoints.open(dir.resolve("full")).latest()
        val onDisk = Files.walk(latest.directory).use { s -> s.filter { Files.isRegularFile(it) }.toList() }
            .associate { latest.directory.relativize(it).joinToString("/") to Files.size(it) }
        latest.files().associate { it.path to it.size } shouldBe onDisk - "checkpoint.json"
        latest.files().map { it.path } shouldBe latest.files().map { it.path }.sorted()
        latest.sizeBytes() shouldBe onDisk.values.sum()
        latest.verify() shouldBe CheckpointStatus.Ok
    }

    test("verify tells its progress after each checkpoint") {
        val calls = ArrayList<String>()
        val report = Checkpoints.open(dir.resolve("full")).verify { done, total, result -> calls += "$done/$total ${result.path} ${result.status}" }
        calls shouldBe listOf("1/2 e01 Ok", "2/2 e02 Ok")
        report.allOk shouldBe true
    }

    test("a missing run directory is a clear error") {
        val error = shouldThrow<NoSuchFileException> { Checkpoints.open(dir.resolve("nothing-here")) }
        error.reason shouldContain "no run here"
    }

    test("an epoch without a checkpoint lists the epochs that have one") {
        shouldThrow<NoSuchElementException> { Checkpoints.open(dir.resolve("full")).epoch(7) }.message shouldBe
            "run ${dir.resolve("full")} has no checkpoint of epoch 7; epochs with checkpoints: 1, 2"
    }

    test("a weights-only checkpoint asked for a full model says what to call instead") {
        val weights = Checkpoints.open(dir.resolve("weights")).latest()
        shouldThrow<IllegalStateException> { weights.loadModel(Digits::compile) }.message shouldBe
            "checkpoint e02 holds weights only (saveWeightsOnly = true), not a full model; build and compile the model " +
            "in code and call loadWeightsInto(model) instead"
        Digits.newCompiledModel().use { weights.loadWeightsInto(it) }
    }

    test("a model whose layers do not match is refused, naming the variables") {
        val other = Sequential.of(Input(64, name = "pixels"), Dense(16, Activations.Relu, name = "hidden"), Dense(10, name = "logits"))
        other.use {
            Digits.compile(it)
            val error = shouldThrow<IllegalArgumentException> { Checkpoints.open(dir.resolve("full")).latest().loadWeightsInto(it) }
            error.message shouldContain "hidden_dense_kernel"
        }
    }

    test("a corrupt checkpoint is refused unless the caller allows it") {
        val copy = tempdir().toPath()
        dir.resolve("full").toFile().copyRecursively(copy.resolve("full").toFile())
        val run = Checkpoints.open(copy.resolve("full"))
        val file = run.latest().directory.resolve("hidden_dense_bias.txt")
        val text = Files.readString(file)
        val digit = text.indexOfFirst { it in '1'..'8' }
        Files.writeString(file, text.substring(0, digit) + (text[digit] + 1) + text.substring(digit + 1))
        val error = shouldThrow<IOException> { Digits.newCompiledModel().use { run.latest().loadWeightsInto(it) } }
        error.message!! shouldStartWith "checkpoint e02 is corrupt: hidden_dense_bias.txt should have sha256"
        Digits.newCompiledModel().use { run.latest().loadWeightsInto(it, LoadOption.ALLOW_CORRUPT) }
    }
})

package dev.ckpt

import dev.ckpt.kotlindl.Digits
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldStartWith
import java.io.IOException
import java.nio.file.Files

/** Recording the history during training: every epoch end, also without a save, and failures per `onSaveError`. */
class HistorySpec : FunSpec({
    val (train, valid) = (Digits.train() to Digits.validation())

    test("epochs without a save are recorded too, with an empty list of saved checkpoints") {
        val dir = tempdir().toPath()
        Digits.newCompiledModel().use { model ->
            model.fit(train, valid, 3, 32, 64, listOf(checkpoint("run/best") {
                monitor = "val_accuracy"; mode = MAX; saveBestOnly = true; initialValueThreshold = 2.0; directory = dir
            }))
        }
        val run = Checkpoints.open(dir.resolve("run"))
        run.all shouldBe emptyList()
        run.history().map { it.epoch to it.saved } shouldBe listOf(1 to emptyList<String>(), 2 to emptyList(), 3 to emptyList())
    }

    test("a history that cannot be written is reported per onSaveError: a warning and training goes on, or training stops") {
        val dir = tempdir().toPath()
        Files.createDirectories(dir.resolve("run/history.jsonl")) // a directory: appending to it fails
        val messages = ArrayList<String>()
        Digits.newCompiledModel().use { model ->
            model.fit(train, valid, 2, 32, 64, listOf(checkpoint("run/e{epoch}") {
                onSaveError = SaveErrorAction.WARN_AND_CONTINUE; directory = dir; onMessage { messages += it }
            }))
        }
        val run = dir.resolve("run").toAbsolutePath().normalize()
        messages.size shouldBe 2
        messages[0] shouldStartWith "ERROR: history.jsonl was not updated; training continues (onSaveError = WARN_AND_CONTINUE): " +
            "recording epoch 1 in $run/history.jsonl failed: "
        Checkpoints.open(run).all.map { it.path } shouldBe listOf("e1", "e2")

        val error = shouldThrow<IOException> {
            Digits.newCompiledModel().use { model ->
                model.fit(train, valid, 2, 32, 64, listOf(checkpoint("run/e{epoch}") { resume = true; directory = dir }))
            }
        }
        error.message!! shouldStartWith "recording epoch 3 in $run/history.jsonl failed: "
    }
})

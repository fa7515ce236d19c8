package dev.ckpt

import dev.ckpt.core.policy.KerasSuffix
import dev.ckpt.kotlindl.Digits
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.shouldBe
import java.nio.file.Files
import java.util.function.Consumer

/** A Keras file name (`best_model.h5`) never surprises: the callback says it will be a directory, or strips it. */
class KerasSuffixSpec : FunSpec({
    val warning = "WARNING: filepath: \"model_checkpoints/best_model.h5\" ends in \".h5\", but KotlinDL's native format" +
        " is a directory: checkpoints will be directories named \"model_checkpoints/best_model.h5\", not single files;" +
        " kerasSuffix = STRIP names them \"model_checkpoints/best_model\""

    test("a Keras suffix is kept and the listener hears one warning naming the directory, when the callback is made") {
        val heard = ArrayList<String>()
        val saver = checkpoint("model_checkpoints/best_model.h5") { onMessage { heard += it } }
        heard shouldBe listOf(warning)
        saver.policy.filepath().source() shouldBe "model_checkpoints/best_model.h5"
    }

    test("the Java entry point (a Consumer of the options) reports the same warning to its listener") {
        val heard = ArrayList<String>()
        checkpoint("model_checkpoints/best_model.h5", Consumer { options -> options.onMessage { heard += it } })
        heard shouldBe listOf(warning)
    }

    context("kerasSuffix = STRIP drops the suffix from every formatted path, silently") {
        withData(".h5", ".hdf5", ".keras", ".weights.h5") { suffix ->
            val heard = ArrayList<String>()
            val saver = checkpoint("runs/e{epoch:02d}$suffix") { kerasSuffix = KerasSuffix.STRIP; onMessage { heard += it } }
            saver.policy.filepath().format(mapOf("epoch" to 3)) shouldBe "runs/e03"
            heard.shouldBeEmpty()
        }
    }

    context("training writes the directory the policy names") {
        val (train, valid) = Digits.train() to Digits.validation()
        withData(
            mapOf(
                "kept: a directory named best_model.keras" to Triple(KerasSuffix.WARN, "best_model.keras", "best_model"),
                "stripped: a directory named best_model" to Triple(KerasSuffix.STRIP, "best_model", "best_model.keras"),
            ),
        ) { (choice, written, notWritten) ->
            val dir = tempdir().toPath()
            val saver = checkpoint("runs/k/best_model.keras") { kerasSuffix = choice; saveBestOnly = true; directory = dir }
            Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(saver)) }
            Files.isDirectory(dir.resolve("runs/k/$written")) shouldBe true
            Files.exists(dir.resolve("runs/k/$notWritten")) shouldBe false
            Checkpoints.open(dir.resolve("runs/k")).best().path shouldBe written
        }
    }
})

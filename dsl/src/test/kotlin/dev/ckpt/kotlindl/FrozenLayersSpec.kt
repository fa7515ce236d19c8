package dev.ckpt.kotlindl

import dev.ckpt.Checkpoints
import dev.ckpt.LoadOption
import dev.ckpt.checkpoint
import dev.ckpt.core.policy.Retention
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContainAll
import io.kotest.matchers.shouldBe
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.activation.Activations
import org.jetbrains.kotlinx.dl.api.core.initializer.GlorotUniform
import org.jetbrains.kotlinx.dl.api.core.initializer.HeNormal
import org.jetbrains.kotlinx.dl.api.core.initializer.Zeros
import org.jetbrains.kotlinx.dl.api.core.layer.core.Dense
import org.jetbrains.kotlinx.dl.api.core.layer.core.Input
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.listDirectoryEntries
import kotlin.io.path.name

/**
 * Transfer learning: a frozen backbone under a trainable head, a full checkpoint every epoch. The frozen variables'
 * files are hard links to the previous checkpoint's; the trainable ones (and the optimizer state) are written; every
 * checkpoint verifies and restores on its own, through ckpt and through KotlinDL's own loader, also after the
 * checkpoints it linked from are pruned.
 */
class FrozenLayersSpec : FunSpec({
    fun frozenModel(): Sequential = Sequential.of(
        Input(64, name = "pixels"),
        Dense(48, Activations.Relu, kernelInitializer = HeNormal(seed = 3L), biasInitializer = Zeros(), name = "frozen1").apply { isTrainable = false },
        Dense(48, Activations.Relu, kernelInitializer = HeNormal(seed = 5L), biasInitializer = Zeros(), name = "frozen2").apply { isTrainable = false },
        Dense(10, Activations.Linear, kernelInitializer = GlorotUniform(seed = 11L), biasInitializer = Zeros(), name = "head"),
    )

    val dir = tempdir().toPath()
    val run = dir.resolve("run")
    val trained = frozenModel().also { model ->
        Digits.compile(model)
        model.fit(Digits.train(), Digits.validation(), 3, 64, 64, listOf(checkpoint("run/e{epoch:02d}") { monitor = "val_loss"; directory = dir }))
    }
    afterSpec { trained.close() }

    fun files(checkpoint: String): List<Path> = run.resolve(checkpoint).listDirectoryEntries("*.txt").filter { it.name != "variableNames.txt" }
    fun isFrozen(file: Path) = file.name.startsWith("frozen")

    test("the frozen layers' files of checkpoint N+1 are N's files; the trainable layer's and its optimizer slots' are not") {
        val frozen = files("e03").filter(::isFrozen)
        // The head's kernel and bias and Adam's two slots for each (Adam's beta powers never change in KotlinDL 0.4.0).
        val written = files("e03").filter { it.name.contains("head") }
        frozen.map { it.name } shouldContainAll listOf("frozen1_dense_kernel.txt", "frozen1_dense_bias.txt", "frozen2_dense_kernel.txt", "frozen2_dense_bias.txt")
        withClue(files("e03").map { it.name }) { written.size shouldBe 6 }
        for (file in frozen) Files.isSameFile(file, run.resolve("e02").resolve(file.name)) shouldBe true
        for (file in written) Files.isSameFile(file, run.resolve("e02").resolve(file.name)) shouldBe false
        Checkpoints.open(run).verify().allOk shouldBe true
    }

    test("pruning the checkpoints it linked from leaves the latest verified and restorable bit for bit, by ckpt and by KotlinDL") {
        val report = Checkpoints.prune(run, Retention.keepAll().withKeepLast(1))
        report.errors.shouldBeEmpty()
        (report.released.isNotEmpty()) shouldBe true
        val opened = Checkpoints.open(run)
        opened.verify().allOk shouldBe true
        val latest = opened.latest()
        latest.path shouldBe "e03"
        val expected = variableBits(trained, includeOptimizer = true)
        frozenModel().use { fresh ->
            Digits.compile(fresh)
            latest.loadWeightsInto(fresh, LoadOption.WITH_OPTIMIZER_STATE)
            variableBits(fresh, includeOptimizer = true) shouldBe expected
        }
        frozenModel().use { fresh ->
            Digits.compile(fresh)
            fresh.loadWeights(latest.directory.toFile(), true)
            variableBits(fresh, includeOptimizer = true) shouldBe expected
        }
    }
})

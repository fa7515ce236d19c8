package dev.ckpt.durability

import dev.ckpt.CheckpointCallback
import dev.ckpt.Checkpoints
import dev.ckpt.Fixtures
import dev.ckpt.checkpoint
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.layer.weights
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.listDirectoryEntries
import kotlin.io.path.name

/**
 * 6 epochs, then a new process-like start (fresh model, fresh callback, `resume = true`) for 4 more, equals 10
 * epochs straight: same checkpoint names (which embed `val_loss` to 4 decimals), same best epoch and value,
 * the same final weights and the same latest checkpoint files (weights and Adam state), bit for bit.
 *
 * Tolerance zero, because every model here runs TensorFlow inline on one thread ([InlineSession]): with KotlinDL's
 * default session, two identical uninterrupted runs already differ (its Adam updates race with the backward pass
 * on the thread pools), so no resume could be compared exactly. Nothing else needs care: `fit` does not shuffle,
 * the MLP has no dropout, initializers are seeded, and a full checkpoint holds every variable Adam reads.
 */
class ResumeEquivalenceSpec : FunSpec({
    val (train, valid) = Fixtures.digits

    fun saver(dir: Path): CheckpointCallback = checkpoint("runs/eq/e{epoch:02d}-{val_loss:.4f}") {
        monitor = "val_loss"
        keepBest = 2
        keepLast = 1
        resume = true
        directory = dir
    }

    fun inlineModel(): Sequential = Fixtures.model().also {
        Fixtures.compile(it)
        InlineSession.install(it)
    }

    fun Sequential.train(epochs: Int, callback: CheckpointCallback): Sequential = also {
        it.fit(train, valid, epochs, 32, 64, listOf(callback))
    }

    val straightDir = tempdir().toPath()
    val resumedDir = tempdir().toPath()
    val straightSaver = saver(straightDir)
    val firstSaver = saver(resumedDir)
    val secondSaver = saver(resumedDir)
    val straight = inlineModel().train(10, straightSaver)
    inlineModel().use { it.train(6, firstSaver) }
    val resumed = inlineModel().train(4, secondSaver)
    afterSpec {
        straight.close()
        resumed.close()
    }
    val straightRun = Checkpoints.open(straightDir.resolve("runs/eq"))
    val resumedRun = Checkpoints.open(resumedDir.resolve("runs/eq"))

    test("the resumed run saves the same checkpoints, e07 to e10 after e01 to e06, and keeps the same ones") {
        secondSaver.saved.map { it.substringAfterLast('/').take(3) } shouldContainExactly listOf("e07", "e08", "e09", "e10")
        firstSaver.saved + secondSaver.saved shouldContainExactly straightSaver.saved
        resumedRun.all.map { it.path } shouldContainExactly straightRun.all.map { it.path }
    }

    test("the best epoch and value of both halves together are those of the straight run") {
        resumedRun.best().epoch shouldBe straightRun.best().epoch
        resumedRun.best().metrics.getValue("val_loss") shouldBe straightRun.best().metrics.getValue("val_loss")
        resumedRun.best().path shouldBe straightRun.best().path
    }

    test("the final weights are bitwise equal") {
        weightBits(resumed) shouldBe weightBits(straight)
    }

    test("the latest checkpoints hold byte-identical files, optimizer state included") {
        fun files(run: Checkpoints): Map<String, List<Byte>> = run.latest().directory.listDirectoryEntries()
            .filter { it.name != "checkpoint.json" }
            .associate { it.name to Files.readAllBytes(it).toList() }
        val expected = files(straightRun)
        expected.keys.filter { "Adam" in it || "optimizer" in it.lowercase() } shouldNotBe emptyList<String>()
        files(resumedRun) shouldBe expected
    }

    test("a weights-only resume, whose Adam state restarts from zero, ends elsewhere: the equality needs the optimizer state") {
        val dir = tempdir().toPath()
        fun weightsOnly() = checkpoint("runs/w/e{epoch:02d}") { monitor = "val_loss"; saveWeightsOnly = true; resume = true; directory = dir }
        inlineModel().use { it.train(6, weightsOnly()) }
        inlineModel().use { model ->
            model.train(4, weightsOnly())
            weightBits(model) shouldNotBe weightBits(straight)
        }
    }
})

/** Every layer's weights as raw float bits, for exact comparison. */
internal fun weightBits(model: Sequential): Map<String, List<Int>> =
    model.layers.flatMap { layer -> layer.weights.map { (name, value) -> "${layer.name}/$name" to bits(value) } }.toMap()

private fun bits(value: Any?): List<Int> = when (value) {
    is FloatArray -> value.map { java.lang.Float.floatToRawIntBits(it) }
    is Float -> listOf(java.lang.Float.floatToRawIntBits(value))
    is Array<*> -> value.flatMap { bits(it) }
    else -> error("unexpected weight value ${value?.javaClass}")
}

package dev.ckpt.cli

import dev.ckpt.Checkpoints
import dev.ckpt.checkpoint
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldNotContain
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive

/** `ckpt ls` and `ckpt show` show a run's resume point as such, apart from its checkpoints. */
class ResumePointCliSpec : FunSpec({
    // loss only falls, so with mode = MAX only epoch 1 improves: epochs 2 and 3 save nothing but the resume point.
    val dir = tempdir().toPath().resolve("digits")
    Digits.newCompiledModel().use { model ->
        val saver = checkpoint("$dir/e{epoch:02d}") { monitor = "loss"; mode = MAX; saveBestOnly = true; resume = true }
        saver.fit(model, Digits.train(), Digits.validation(), 3, Digits.BATCH_SIZE, 64)
    }
    val point = Checkpoints.open(dir).resumePoint!!.path

    test("ls lists the resume point with its mark, after the checkpoints") {
        val out = ckpt("ls", dir.toString())
        withClue(out) { out.exit shouldBe 0 }
        out.out shouldContain "run $dir: 1 checkpoint"
        val row = out.out.lines().single { it.startsWith(point) }
        row shouldContain "resume point"
        row shouldNotContain "best"
        val json = Json.parseToJsonElement(ckpt("ls", "--json", dir.toString()).out).jsonObject
        json["resumePoint"]!!.jsonObject["path"]!!.jsonPrimitive.content shouldBe "resume-e0003-end-s000135"
        json["best"]!!.jsonPrimitive.content shouldBe "e01"
    }

    test("show names the resume point in the summary, and shows it by the name resume") {
        ckpt("show", dir.toString()).out shouldContain "resume point"
        val shown = ckpt("show", dir.toString(), "resume")
        withClue(shown) { shown.exit shouldBe 0 }
        shown.out shouldContain point
    }
})

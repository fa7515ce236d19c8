package dev.ckpt.samples

import dev.ckpt.samples.scripting.SampleHost
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.doubles.shouldBeGreaterThanOrEqual
import io.kotest.matchers.nulls.shouldNotBeNull
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldNotContain
import java.io.File

class RunScriptSpec : FunSpec({
    // One host for the spec: the compiler's warm-up is the slow part.
    val host = SampleHost()
    val dir = tempdir()

    fun script(name: String, text: String): String = File(dir, name).apply { writeText(text) }.path

    test("the digits script trains and prints a validation accuracy of at least 0.85") {
        val run = capture { err -> RunScript.run(arrayOf("src/main/scripts/digits.ckpt.kts"), host, err) }

        run.result shouldBe 0
        printedAccuracy(run.out).shouldNotBeNull() shouldBeGreaterThanOrEqual 0.85
        run.err shouldNotContain "error:"
    }

    test("a compile error is reported at its file, line and column, and nothing runs") {
        val path = script("broken.ckpt.kts", "println(\"ran\")\nval a = 1\nval b: String = a\n")

        val run = capture { err -> RunScript.run(arrayOf(path), host, err) }

        run.result shouldBe 1
        run.err shouldContain "$path:3:17: error: Initializer type mismatch"
        run.err shouldContain "not run"
        run.out shouldNotContain "ran"
    }

    test("an exception thrown by the script fails the run and names the script line") {
        val path = script("boom.ckpt.kts", "println(\"before\")\nerror(\"boom\")\n")

        val run = capture { err -> RunScript.run(arrayOf(path), host, err) }

        run.result shouldBe 1
        run.out shouldContain "before"
        run.err shouldContain "script failed at $path:2: java.lang.IllegalStateException: boom"
        run.err shouldNotContain "BasicJvmScriptEvaluator"
    }

    test("a missing script is a usage error that names the path") {
        val run = capture { err -> RunScript.run(arrayOf("no/such/thing.ckpt.kts"), host, err) }

        run.result shouldBe 2
        run.err shouldContain "RunScript: script: no such file "
        run.err shouldContain "no/such/thing.ckpt.kts; pass the path of a .ckpt.kts file"
    }

    test("the runner wants exactly one argument") {
        val run = capture { err -> RunScript.run(arrayOf(), host, err) }

        run.result shouldBe 2
        run.err shouldContain "usage: RunScript <path>; expected exactly one argument, got none"
    }
})

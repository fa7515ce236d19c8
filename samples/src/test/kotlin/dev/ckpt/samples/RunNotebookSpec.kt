package dev.ckpt.samples

import dev.ckpt.samples.scripting.NotebookScript
import dev.ckpt.samples.scripting.SampleHost
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.doubles.shouldBeGreaterThanOrEqual
import io.kotest.matchers.nulls.shouldNotBeNull
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.io.File

class RunNotebookSpec : FunSpec({
    val host = SampleHost()

    test("the restore-best notebook runs cell by cell and prints a validation accuracy of at least 0.85") {
        val run = capture { err -> RunNotebook.run(arrayOf("notebooks/restore-best.ipynb"), host, err) }

        run.result shouldBe 0
        run.out shouldContain "training on 1438 images, validating on 359"
        printedAccuracy(run.out).shouldNotBeNull() shouldBeGreaterThanOrEqual 0.85
    }

    test("a compile error in a cell is reported with the cell and the line inside it") {
        val notebook = notebook(
            markdown("# title"),
            code("%use kotlin-dl", "import java.io.File", "val x = 1", "val y: String = x"),
        )

        val report = host.run(NotebookScript.fromJson("bad.ipynb", notebook))

        report.succeeded shouldBe false
        report.problems.filter { it.isError }.map { it.toString() } shouldContainExactly listOf(
            "bad.ipynb (cell 2, line 4, column 17): error: Initializer type mismatch: " +
                "expected 'kotlin.String', actual 'kotlin.Int'.",
        )
    }

    test("a notebook for another kernel is a usage error") {
        val file = File(tempdir(), "python.ipynb")
        file.writeText(notebook(code("print(1)"), language = "python"))

        val run = capture { err -> RunNotebook.run(arrayOf(file.path), host, err) }

        run.result shouldBe 2
        run.err shouldContain "python.ipynb: kernel language python is not supported"
    }
})

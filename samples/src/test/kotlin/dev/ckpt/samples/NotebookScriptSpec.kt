package dev.ckpt.samples

import dev.ckpt.samples.scripting.NotebookScript
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldNotContain
import java.nio.file.Path

class NotebookScriptSpec : FunSpec({
    test("cells tagged jupyter-only are left out") {
        val source = NotebookScript.fromJson(
            "n.ipynb",
            notebook(code("val setup = 1", tags = listOf("jupyter-only")), code("val kept = 2")),
        )

        source.text shouldBe "val kept = 2"
    }

    test("magics and dependency annotations are stripped from ordinary cells") {
        val source = NotebookScript.fromJson(
            "n.ipynb",
            notebook(
                code(
                    "%use kotlin-dl",
                    "@file:Repository(\"*mavenLocal\")",
                    "  @file:DependsOn(\"dev.ckpt:ckpt-dsl:0.1.0\")",
                    "val kept = 1",
                ),
            ),
        )

        source.text shouldBe "val kept = 1"
    }

    test("each cell's leading file annotations and imports move to the top, in cell order") {
        val source = NotebookScript.fromJson(
            "n.ipynb",
            notebook(
                code("import a.A", "", "val x = A()"),
                code("@file:OptIn(Foo::class)", "import b.B", "// why", "val y = B()"),
            ),
        )

        source.text shouldBe listOf(
            "@file:OptIn(Foo::class)", "import a.A", "import b.B", "", "val x = A()", "// why", "val y = B()",
        ).joinToString("\n")
    }

    test("an import after code stays where it is, so the compiler reports it in its cell") {
        val source = NotebookScript.fromJson("n.ipynb", notebook(code("val x = 1", "import a.A")))

        source.text shouldBe "val x = 1\nimport a.A"
        source.locate(2, 1) shouldBe "n.ipynb (cell 1, line 2, column 1)"
    }

    test("positions map back to the notebook cell, counting markdown cells, and the line inside it") {
        val source = NotebookScript.fromJson(
            "n.ipynb",
            notebook(markdown("# intro"), code("%use x", "val a = 1"), markdown("more"), code("import c.C", "val b = 2")),
        )

        source.text shouldBe "import c.C\nval a = 1\nval b = 2"
        source.locate(1, 8) shouldBe "n.ipynb (cell 4, line 1, column 8)"
        source.locate(2, 5) shouldBe "n.ipynb (cell 2, line 2, column 5)"
        source.locate(3) shouldBe "n.ipynb (cell 4, line 2)"
        source.locate(9) shouldBe "n.ipynb (end of notebook)"
    }

    test("a cell source stored as one string reads like one stored as lines") {
        val asString = """{"cells":[{"cell_type":"code","metadata":{},"source":"val a = 1\nval b = 2"}],"nbformat":4}"""

        NotebookScript.fromJson("n.ipynb", asString).text shouldBe "val a = 1\nval b = 2"
    }

    context("documents that are not Kotlin nbformat 4 notebooks are refused with the reason") {
        withData(
            mapOf(
                "not JSON" to ("{cells" to "n.ipynb: not a notebook, the JSON does not parse"),
                "not an object" to ("[]" to "n.ipynb: not a notebook, expected a JSON object at the top"),
                "nbformat 3" to (notebook(code("1"), nbformat = 3) to "n.ipynb: nbformat must be 4, got 3"),
                "no nbformat" to ("""{"cells":[]}""" to "n.ipynb: nbformat must be 4, got none"),
                "no cells" to ("""{"nbformat":4}""" to "n.ipynb: not a notebook, the \"cells\" array is missing"),
                "a Python kernel" to (
                    notebook(code("1"), language = "python") to
                        "n.ipynb: kernel language python is not supported; only Kotlin notebooks " +
                        "(language \"kotlin\") can run as scripts"
                    ),
            ),
        ) { (json, message) ->
            shouldThrow<IllegalArgumentException> { NotebookScript.fromJson("n.ipynb", json) }
                .message shouldContain message
        }
    }

    test("the shipped notebook keeps its Jupyter setup in a jupyter-only cell that the runner drops") {
        val path = Path.of("notebooks/restore-best.ipynb")
        val raw = path.toFile().readText()
        raw shouldContain "\"jupyter-only\""
        raw shouldContain "@file:DependsOn(\\\"dev.ckpt:ckpt-samples:"

        val text = NotebookScript.fromFile(path).text

        text shouldNotContain "@file:"
        text shouldNotContain "%use"
        text shouldContain "import dev.ckpt.samples.Digits"
    }

    test("a missing notebook file is refused with its path") {
        shouldThrow<IllegalArgumentException> { NotebookScript.fromFile(Path.of("no/such.ipynb")) }
            .message shouldContain "no/such.ipynb; pass the path of a .ipynb file"
    }
})

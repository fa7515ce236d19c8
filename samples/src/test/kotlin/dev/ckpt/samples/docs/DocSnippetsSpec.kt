package dev.ckpt.samples.docs

import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.ints.shouldBeGreaterThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import java.nio.file.Files
import java.nio.file.Path

/** The repository root: surefire runs the samples' tests in `samples/`. */
private val ROOT: Path = Path.of("..").toAbsolutePath().normalize()

class DocSnippetsSpec : FunSpec({
    test("every Kotlin and Java block of README.md and docs/ equals the compiled region its marker names") {
        val blocks = DocSnippets.pages(ROOT).flatMap { DocSnippets.markdownBlocks(ROOT, it) }
        val problems = blocks.mapNotNull { DocSnippets.problem(ROOT, it) }
        println("DocSnippetsSpec: ${blocks.size} Kotlin/Java blocks in ${blocks.map { it.file }.distinct().size} pages, ${problems.size} problems")
        withClue(problems.joinToString("\n\n")) { problems.shouldBeEmpty() }
        // The pages hold examples (a parser that found none would pass everything): the README's at least.
        blocks.count { it.file == "README.md" } shouldBeGreaterThanOrEqual 7
    }

    test("a README block edited to differ from its region fails, naming the file, the line and both texts") {
        val readme = Files.readString(ROOT.resolve("README.md"))
        readme shouldContain "    keepBest = 3\n"
        val edited = tempdir().toPath().resolve("README.md")
        Files.writeString(edited, readme.replace("    keepBest = 3\n", "    keepBest = 4\n"))

        val problems = DocSnippets.markdownBlocks(ROOT, edited).mapNotNull { DocSnippets.problem(ROOT, it) }
        problems shouldHaveSize 1
        problems.single() shouldStartWith "README.md:"
        problems.single() shouldContain "block differs from samples/src/test/kotlin/dev/ckpt/samples/docs/ReadmeKotlin.kt#imports+quick-start"
        problems.single() shouldContain Regex("""\n  page: +keepBest = 4\n  source: +keepBest = 3\n""")
    }

    test("a new Kotlin or Java block without a marker fails, naming the file and the fence's line") {
        val readme = Files.readString(ROOT.resolve("README.md"))
        val page = tempdir().toPath().resolve("README.md")
        Files.writeString(page, readme + "\n```java\nSystem.out.println(\"unchecked\");\n```\n")
        val fenceLine = readme.lines().size + 1

        val problems = DocSnippets.markdownBlocks(ROOT, page).mapNotNull { DocSnippets.problem(ROOT, it) }
        problems shouldBe listOf(
            "README.md:$fenceLine: a ```java block without a marker above its fence; put the code in a compiled source " +
                "between // region NAME and // endregion and write <!-- snippet: path/to/File#NAME --> above the fence",
        )
    }

    test("a marker naming a region the source does not have fails, listing the regions it has") {
        val page = tempdir().toPath().resolve("page.md")
        Files.writeString(page, "<!-- snippet: samples/src/test/java/dev/ckpt/samples/docs/CoreEngineExample.java#nope -->\n```java\nx();\n```\n")
        val problems = DocSnippets.markdownBlocks(ROOT, page).mapNotNull { DocSnippets.problem(ROOT, it) }
        problems shouldBe listOf("page.md:2: samples/src/test/java/dev/ckpt/samples/docs/CoreEngineExample.java has no region nope; its regions: engine, template")
    }

    test("the Gradle marker admits one dependencies line and nothing else") {
        val page = tempdir().toPath().resolve("page.md")
        Files.writeString(page, "${DocSnippets.GRADLE_MARKER}\n```kotlin\ndependencies { implementation(\"a:b:1\") }\n```\n" +
            "${DocSnippets.GRADLE_MARKER}\n```kotlin\nval x = 1\n```\n")
        val problems = DocSnippets.markdownBlocks(ROOT, page).mapNotNull { DocSnippets.problem(ROOT, it) }
        problems shouldHaveSize 1
        problems.single() shouldStartWith "page.md:6: the Gradle marker may only stand above one dependencies"
    }

    test("regions: indentation and trailing spaces do not count, the lines do") {
        DocSnippets.normalise("    a {\n        b  \n    }\n") shouldBe "a {\n    b\n}"
        DocSnippets.regions(listOf("x", "    // region r", "    y()", "    // endregion", "z")) shouldBe mapOf("r" to "    y()")
    }
})

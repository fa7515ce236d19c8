package dev.ckpt.samples.docs

import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.extension
import kotlin.io.path.invariantSeparatorsPathString
import kotlin.io.path.isRegularFile
import kotlin.io.path.name
import kotlin.io.path.readLines

/**
 * Keeps the Kotlin and Java examples of README.md and docs/ equal to compiled code. Every ```kotlin or ```java block
 * of those pages must have, on the line above its fence, a marker naming where it comes from:
 *
 * ```
 * <!-- snippet: samples/src/test/kotlin/dev/ckpt/samples/docs/ReadmeKotlin.kt#quick-start -->
 * ```
 *
 * The named file (relative to the repository root) marks the region with `// region quick-start` and
 * `// endregion`; `#a+b` joins regions with a blank line (imports, then code). The block must equal the region
 * once the common indentation and trailing spaces are removed. A Javadoc example in main code can carry the same
 * marker, on the comment line above its `<pre>{@code`; it is then held to its region too.
 *
 * The one exception is the Gradle line, a build script that no compiler here reads: its marker is [GRADLE_MARKER]
 * and its block must be one `dependencies { implementation("…") }` line (DependencyDocsTest checks the coordinates).
 */
internal object DocSnippets {
    const val GRADLE_MARKER: String = "<!-- gradle build script: DependencyDocsTest checks its coordinates -->"
    private val MARKER = Regex("""^\s*(?:\*\s*)?<!-- snippet: ([^#\s]+)#([\w+-]+) -->\s*$""")
    private val OPENING = Regex("""^(`{3,})([^`]*)$""")
    private val CLOSING = Regex("""^\s*(`{3,})\s*$""")
    private val GRADLE_LINE = Regex("""^dependencies \{ implementation\("[^"]+"\) }$""")

    /** One example found in a page or a source file, where it was found, and the regions it must equal. */
    data class Block(val file: String, val line: Int, val language: String, val marker: String?, val text: String)

    /** The pages whose examples are checked: README.md and every Markdown page of docs/, relative to [root]. */
    fun pages(root: Path): List<Path> =
        listOf(root.resolve("README.md")) + Files.list(root.resolve("docs")).use { files ->
            files.filter { it.isRegularFile() && it.extension == "md" }.sorted().toList()
        }

    /** Main sources of core and dsl, whose Javadoc/KDoc examples may carry a marker. */
    fun sources(root: Path): List<Path> = listOf("core/src/main/java", "dsl/src/main/kotlin").flatMap { dir ->
        Files.walk(root.resolve(dir)).use { files -> files.filter { it.isRegularFile() && it.extension in setOf("java", "kt") }.sorted().toList() }
    }

    /**
     * Every ```kotlin and ```java block of a Markdown page, with the marker line above its fence if there is one. Other
     * fences are skipped whole, so a block shown inside a longer fence (````) is not an example.
     */
    fun markdownBlocks(root: Path, page: Path): List<Block> {
        val lines = page.readLines()
        val blocks = mutableListOf<Block>()
        var i = 0
        while (i < lines.size) {
            val open = OPENING.matchEntire(lines[i])
            if (open == null) {
                i++
                continue
            }
            val ticks = open.groupValues[1].length
            val end = (i + 1 until lines.size).firstOrNull { CLOSING.matchEntire(lines[it])?.let { c -> c.groupValues[1].length >= ticks } == true }
                ?: lines.size
            val language = open.groupValues[2].trim()
            if (language == "kotlin" || language == "java") {
                val above = lines.getOrNull(i - 1)?.trim()?.takeIf { it.startsWith("<!--") }
                blocks += Block(relative(root, page), i + 1, language, above, lines.subList(i + 1, end).joinToString("\n"))
            }
            i = end + 1
        }
        return blocks
    }

    /** Javadoc examples (`<pre>{@code ... }</pre>`) that carry a marker on the line above. */
    fun javadocBlocks(root: Path, source: Path): List<Block> {
        val lines = source.readLines()
        return lines.indices.filter { MARKER.matches(lines[it]) }.map { at ->
            val open = at + 1
            require(open < lines.size && lines[open].trim().removePrefix("*").trim() == "<pre>{@code") {
                "${relative(root, source)}:${at + 1}: a snippet marker in a comment must be followed by a line <pre>{@code"
            }
            val close = (open + 1 until lines.size).firstOrNull { lines[it].trim().removePrefix("*").trim() == "}</pre>" }
                ?: error("${relative(root, source)}:${open + 1}: <pre>{@code without a closing }</pre>")
            val text = lines.subList(open + 1, close).joinToString("\n") { it.replaceFirst(Regex("""^\s*\* ?"""), "") }
            Block(relative(root, source), open + 1, "java", lines[at].trim().removePrefix("*").trim(), text)
        }
    }

    /** What is wrong with [block], or null: no marker, a region that does not exist, or text that differs from it. */
    fun problem(root: Path, block: Block): String? {
        val where = "${block.file}:${block.line}"
        val marker = block.marker
            ?: return "$where: a ```${block.language} block without a marker above its fence; put the code in a compiled " +
                "source between // region NAME and // endregion and write <!-- snippet: path/to/File#NAME --> above the fence"
        if (marker == GRADLE_MARKER) {
            return if (GRADLE_LINE.matches(block.text.trim())) null
            else "$where: the Gradle marker may only stand above one dependencies { implementation(\"...\") } line, got:\n${block.text}"
        }
        val match = MARKER.matchEntire(marker) ?: return "$where: not a snippet marker: $marker (expected <!-- snippet: path#region -->)"
        val (file, regionNames) = match.destructured
        val source = root.resolve(file)
        if (!Files.isRegularFile(source)) return "$where: the snippet's source $file does not exist"
        val regions = regions(source.readLines())
        val missing = regionNames.split('+').filter { it !in regions }
        if (missing.isNotEmpty()) {
            return "$where: $file has no region ${missing.joinToString()}; its regions: ${regions.keys.sorted().joinToString().ifEmpty { "none" }}"
        }
        val expected = regionNames.split('+').joinToString("\n\n") { normalise(regions.getValue(it)) }
        val actual = normalise(block.text)
        if (expected == actual) return null
        val expectedLines = expected.lines()
        val actualLines = actual.lines()
        val first = (0 until maxOf(expectedLines.size, actualLines.size)).first { expectedLines.getOrNull(it) != actualLines.getOrNull(it) }
        return "$where: the ```${block.language} block differs from $file#$regionNames at its line ${first + 1}:\n" +
            "  page:   ${actualLines.getOrNull(first) ?: "(no line)"}\n  source: ${expectedLines.getOrNull(first) ?: "(no line)"}\n" +
            "copy the region into the page (or change the source and run the tests)"
    }

    /** The regions of a source file: name to the lines between `// region name` and `// endregion`. */
    fun regions(lines: List<String>): Map<String, String> {
        val out = mutableMapOf<String, String>()
        var name: String? = null
        val body = mutableListOf<String>()
        lines.forEachIndexed { i, raw ->
            val line = raw.trim()
            when {
                line.startsWith("// region ") -> {
                    check(name == null) { "line ${i + 1}: region ${line.removePrefix("// region ")} inside region $name" }
                    name = line.removePrefix("// region ").trim()
                    body.clear()
                }
                line == "// endregion" -> {
                    val open = checkNotNull(name) { "line ${i + 1}: // endregion without a region" }
                    check(open !in out) { "line ${i + 1}: region $open is defined twice" }
                    out[open] = body.joinToString("\n")
                    name = null
                }
                name != null -> body += raw
            }
        }
        check(name == null) { "region $name is not closed" }
        return out
    }

    /** Drops trailing spaces and blank edges and the indentation all lines share. */
    fun normalise(text: String): String {
        val lines = text.lines().map { it.trimEnd() }.dropWhile { it.isEmpty() }.dropLastWhile { it.isEmpty() }
        val indent = lines.filter { it.isNotEmpty() }.minOfOrNull { line -> line.length - line.trimStart().length } ?: 0
        return lines.joinToString("\n") { it.drop(indent) }
    }

    /** [file] relative to [root], or its name for a file elsewhere (the specs' edited copies of a page). */
    private fun relative(root: Path, file: Path): String {
        val absolute = file.toAbsolutePath().normalize()
        return if (absolute.startsWith(root)) root.relativize(absolute).invariantSeparatorsPathString else file.name
    }
}

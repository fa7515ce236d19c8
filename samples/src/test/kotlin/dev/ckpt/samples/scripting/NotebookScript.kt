package dev.ckpt.samples.scripting

import kotlinx.serialization.SerializationException
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.contentOrNull
import kotlinx.serialization.json.intOrNull
import java.nio.file.Files
import java.nio.file.Path

/**
 * Turns a Kotlin Jupyter notebook (nbformat 4) into one [SampleSource]: its code cells in order,
 * with what only a Jupyter kernel understands taken out.
 *
 * ```kotlin
 * val source = NotebookScript.fromFile(Path.of("notebooks/restore-best.ipynb"))
 * SampleHost().run(source)
 * ```
 *
 * Removed: code cells tagged [JUPYTER_ONLY] (cell metadata `"tags": ["jupyter-only"]`), and in every
 * other cell the line magics (`%use ...`) and `@file:DependsOn` / `@file:Repository` lines, because the
 * script runs on the build's classpath instead. Each cell's leading `import` and `@file:` lines move to
 * the top, where a single script needs them. Positions in diagnostics name the notebook cell (counted
 * from 1 over all cells, markdown included) and the line inside it.
 *
 * It does not run cells one by one as a kernel does: a name declared twice across cells is a
 * conflicting declaration here, and only the last cell's final expression is the script's result.
 */
public object NotebookScript {
    /** Cell tag marking setup that only makes sense in a real Jupyter kernel. */
    public const val JUPYTER_ONLY: String = "jupyter-only"

    private val json = Json { ignoreUnknownKeys = true }

    /** Reads and converts the notebook at [path]. */
    @JvmStatic
    public fun fromFile(path: Path): SampleSource {
        require(Files.isRegularFile(path)) {
            "notebook: no such file ${path.toAbsolutePath().normalize()}; pass the path of a .ipynb file"
        }
        return fromJson(path.fileName.toString(), Files.readString(path))
    }

    /** Converts notebook JSON; [name] identifies the notebook in diagnostics. */
    @JvmStatic
    public fun fromJson(name: String, notebookJson: String): SampleSource {
        val root = try {
            json.parseToJsonElement(notebookJson)
        } catch (e: SerializationException) {
            throw IllegalArgumentException("$name: not a notebook, the JSON does not parse: ${e.message}", e)
        } as? JsonObject ?: throw IllegalArgumentException("$name: not a notebook, expected a JSON object at the top")

        val format = (root["nbformat"] as? JsonPrimitive)?.intOrNull
        require(format == 4) { "$name: nbformat must be 4, got ${root["nbformat"] ?: "none"}" }
        checkKotlin(name, root["metadata"] as? JsonObject)
        val cells = root["cells"] as? JsonArray
            ?: throw IllegalArgumentException("$name: not a notebook, the \"cells\" array is missing")

        val annotations = mutableListOf<Line>()
        val imports = mutableListOf<Line>()
        val body = mutableListOf<Line>()
        cells.forEachIndexed { index, element ->
            val cell = element as? JsonObject
                ?: throw IllegalArgumentException("$name: cell ${index + 1} is not a JSON object")
            if (cell.string("cell_type") != "code" || JUPYTER_ONLY in cell.tags()) return@forEachIndexed
            var leading = true
            cell.sourceText().lines().forEachIndexed { lineIndex, text ->
                val line = Line(text, index + 1, lineIndex + 1)
                val trimmed = text.trim()
                when {
                    isKernelOnly(trimmed) -> Unit
                    leading && trimmed.startsWith("@file:") -> annotations += line
                    leading && trimmed.startsWith("import ") -> imports += line
                    leading && (trimmed.isEmpty() || trimmed.startsWith("//")) -> body += line
                    else -> {
                        leading = false
                        body += line
                    }
                }
            }
        }
        val lines = annotations + imports + body
        return SampleSource(name.removeSuffix(".ipynb") + ".ckpt.kts", lines.joinToString("\n") { it.text }) { line, column ->
            val origin = lines.getOrNull(line - 1)
            when {
                origin == null -> "$name (end of notebook)"
                column == null -> "$name (cell ${origin.cell}, line ${origin.line})"
                else -> "$name (cell ${origin.cell}, line ${origin.line}, column $column)"
            }
        }
    }

    private fun isKernelOnly(trimmed: String): Boolean =
        trimmed.startsWith("%") || trimmed.startsWith("@file:DependsOn") || trimmed.startsWith("@file:Repository")

    private fun checkKotlin(name: String, metadata: JsonObject?) {
        val kernelspec = metadata?.get("kernelspec") as? JsonObject
        val languageInfo = metadata?.get("language_info") as? JsonObject
        val languages = listOfNotNull(kernelspec?.string("language"), languageInfo?.string("name"))
        require(languages.all { it.equals("kotlin", ignoreCase = true) }) {
            "$name: kernel language ${languages.first { !it.equals("kotlin", ignoreCase = true) }} " +
                "is not supported; only Kotlin notebooks (language \"kotlin\") can run as scripts"
        }
    }

    private fun JsonObject.string(key: String): String? = (this[key] as? JsonPrimitive)?.contentOrNull

    private fun JsonObject.tags(): List<String> =
        ((this["metadata"] as? JsonObject)?.get("tags") as? JsonArray)
            ?.mapNotNull { (it as? JsonPrimitive)?.contentOrNull }.orEmpty()

    // nbformat stores source either as one string or as a list of lines that keep their "\n".
    private fun JsonObject.sourceText(): String = when (val source: JsonElement? = this["source"]) {
        is JsonArray -> source.joinToString("") { (it as? JsonPrimitive)?.contentOrNull.orEmpty() }
        is JsonPrimitive -> source.contentOrNull.orEmpty()
        else -> ""
    }

    private class Line(val text: String, val cell: Int, val line: Int)
}

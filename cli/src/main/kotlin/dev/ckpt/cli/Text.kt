package dev.ckpt.cli

import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonPrimitive
import java.util.Locale

/** Formatting shared by the commands: numbers, sizes, tables, JSON. */
internal object Text {
    val json: Json = Json { prettyPrint = true }

    /** A metric value for people: four decimals; NaN and infinities spelled out; `-` for none. */
    fun metric(value: Double?): String = when {
        value == null -> "-"
        value.isNaN() -> "NaN"
        value == Double.POSITIVE_INFINITY -> "Infinity"
        value == Double.NEGATIVE_INFINITY -> "-Infinity"
        else -> String.format(Locale.ROOT, "%.4f", value)
    }

    /** A metric value for JSON: a number, or the manifest's strings for values JSON cannot express. */
    fun metricJson(value: Double?): JsonElement = when {
        value == null -> JsonNull
        value.isNaN() -> JsonPrimitive("NaN")
        value == Double.POSITIVE_INFINITY -> JsonPrimitive("Infinity")
        value == Double.NEGATIVE_INFINITY -> JsonPrimitive("-Infinity")
        else -> JsonPrimitive(value)
    }

    /** Bytes for people, in binary units: `512 B`, `14.2 KiB`, `3.0 MiB`. */
    fun size(bytes: Long): String {
        if (bytes < 1024) return "$bytes B"
        val units = listOf("KiB", "MiB", "GiB", "TiB")
        var value = bytes / 1024.0
        var unit = 0
        while (value >= 1024 && unit < units.size - 1) {
            value /= 1024
            unit++
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit])
    }

    /** One line: an exception message with its line breaks folded, so that every error is one line on stderr. */
    fun oneLine(text: String): String = text.lines().map { it.trim() }.filter { it.isNotEmpty() }.joinToString("; ")

    /**
     * Columns padded to their widest cell; [rightAligned] columns (numbers) are aligned right. The last column is not
     * padded, so lines carry no trailing blanks.
     */
    fun table(header: List<String>, rows: List<List<String>>, rightAligned: Set<Int>): List<String> {
        val all = listOf(header) + rows
        val widths = header.indices.map { c -> all.maxOf { it[c].length } }
        return all.map { row ->
            row.indices.joinToString("  ") { c ->
                val cell = row[c]
                when {
                    c in rightAligned -> cell.padStart(widths[c])
                    c == row.size - 1 -> cell
                    else -> cell.padEnd(widths[c])
                }
            }.trimEnd()
        }
    }
}

/** `1 checkpoint`, `3 checkpoints`: a count with its noun. */
internal fun count(n: Int, noun: String): String = "$n $noun" + if (n == 1) "" else "s"

package dev.ckpt.samples

import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put
import kotlinx.serialization.json.putJsonArray
import kotlinx.serialization.json.putJsonObject

/** A code cell whose source is stored as nbformat does: a list of lines that keep their newline. */
fun code(vararg lines: String, tags: List<String> = emptyList()): JsonObject = buildJsonObject {
    put("cell_type", "code")
    put("execution_count", null as String?)
    putJsonObject("metadata") { if (tags.isNotEmpty()) putJsonArray("tags") { tags.forEach { add(JsonPrimitive(it)) } } }
    put("outputs", JsonArray(emptyList()))
    put("source", JsonArray(lines.mapIndexed { i, l -> JsonPrimitive(if (i < lines.lastIndex) "$l\n" else l) }))
}

fun markdown(text: String): JsonObject = buildJsonObject {
    put("cell_type", "markdown")
    putJsonObject("metadata") {}
    put("source", text)
}

fun notebook(vararg cells: JsonObject, language: String = "kotlin", nbformat: Int = 4): String = buildJsonObject {
    put("cells", JsonArray(cells.toList()))
    putJsonObject("metadata") {
        putJsonObject("kernelspec") {
            put("display_name", language)
            put("language", language)
            put("name", language)
        }
    }
    put("nbformat", nbformat)
    put("nbformat_minor", 5)
}.toString()

package dev.ckpt.storage

import dev.ckpt.CorruptRunException
import kotlinx.serialization.Serializable
import kotlinx.serialization.SerializationException
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import java.nio.ByteBuffer
import java.nio.charset.CharacterCodingException
import java.time.Instant

/**
 * One line of a run's `history.jsonl`: what was logged at one epoch end, and which checkpoints were saved
 * during that epoch. Metric values JSON cannot express are the strings `"NaN"`, `"Infinity"`, `"-Infinity"`,
 * as in the manifest.
 */
@Serializable
internal data class HistoryLine(
    /** 1-based epoch, numbered across resumes as checkpoints are. */
    val epoch: Int,
    /** Global step (training batches since the run began) at the epoch end. */
    val step: Long,
    /** The epoch's logs: loss, metrics, validation metrics. */
    val metrics: Map<String, @Serializable(with = MetricValueSerializer::class) Double>,
    /** Checkpoint paths (relative to the run) saved during the epoch, batch-level saves included, oldest first. */
    val saved: List<String>,
    /** When the epoch ended (the writer's clock). */
    @Serializable(with = InstantSerializer::class)
    val time: Instant,
) {
    init {
        require(epoch >= 1) { "epoch must be >= 1, got $epoch" }
        require(step >= 0) { "step must be >= 0, got $step" }
        require(metrics.keys.none { it.isBlank() }) { "metric names must not be blank, got ${metrics.keys}" }
        saved.forEach { path -> checkpointPathProblem(path)?.let { throw IllegalArgumentException("saved \"$path\" $it") } }
    }
}

/**
 * `history.jsonl`: one compact JSON object per line, appended and flushed one line at a time.
 *
 * Reading is strict except for the end: a last line without its newline is what a crash in the middle of an
 * append leaves, and is ignored (the next writer cuts it off before appending). Any other line that is not a
 * valid record is an error naming the line, because something other than ckpt changed the file.
 */
internal object HistoryCodec {
    private val json: Json = Json(from = StorageJson) { prettyPrint = false }

    fun encode(line: HistoryLine): ByteArray = (json.encodeToString(HistoryLine.serializer(), line) + "\n").toByteArray(Charsets.UTF_8)

    fun decode(file: String, bytes: ByteArray): List<HistoryLine> {
        val out = ArrayList<HistoryLine>()
        var start = 0
        var number = 0
        while (true) {
            val end = indexOf(bytes, '\n'.code.toByte(), start)
            if (end < 0) break // the rest, if any, is a torn last line
            number++
            out += decodeLine(file, number, bytes.copyOfRange(start, end))
            start = end + 1
        }
        return out
    }

    private fun decodeLine(file: String, number: Int, bytes: ByteArray): HistoryLine {
        fun bad(problem: String, cause: Throwable? = null): Nothing =
            throw CorruptRunException(file, "line $number is not a history record: $problem", cause)
        val text = try {
            Charsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString()
        } catch (e: CharacterCodingException) {
            bad("it is not valid UTF-8 text", e)
        }
        if (text.isBlank()) bad("it is empty")
        val element: JsonElement = try {
            json.parseToJsonElement(text)
        } catch (e: SerializationException) {
            bad("it is not valid JSON: ${e.message?.lineSequence()?.first()}", e)
        }
        if (element !is JsonObject) bad("it must be a JSON object")
        JsonShape.problem(element, HistoryLine.serializer().descriptor, "")?.let { bad(it.replaceFirst("the file", "it")) }
        return try {
            json.decodeFromJsonElement(HistoryLine.serializer(), element)
        } catch (e: SerializationException) {
            bad(e.message?.lineSequence()?.first() ?: "it does not match the expected structure", e)
        } catch (e: IllegalArgumentException) {
            bad(e.message ?: "it holds an invalid value", e)
        }
    }

    private fun indexOf(bytes: ByteArray, b: Byte, from: Int): Int {
        for (i in from until bytes.size) if (bytes[i] == b) return i
        return -1
    }
}

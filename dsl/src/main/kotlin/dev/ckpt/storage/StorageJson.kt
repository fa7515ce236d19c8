package dev.ckpt.storage

import kotlinx.serialization.KSerializer
import kotlinx.serialization.SerializationException
import kotlinx.serialization.descriptors.PrimitiveKind
import kotlinx.serialization.descriptors.PrimitiveSerialDescriptor
import kotlinx.serialization.descriptors.SerialDescriptor
import kotlinx.serialization.encoding.Decoder
import kotlinx.serialization.encoding.Encoder
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonDecoder
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonEncoder
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.doubleOrNull
import kotlinx.serialization.json.intOrNull
import java.nio.file.Path
import java.time.Instant
import java.time.format.DateTimeParseException

/** The one JSON configuration for ckpt's files: strict on input, readable (pretty) on output. */
internal val StorageJson: Json = Json {
    prettyPrint = true
    encodeDefaults = true
    explicitNulls = true
    ignoreUnknownKeys = false
    isLenient = false
    allowSpecialFloatingPointValues = false
}

internal const val FORMAT_VERSION: Int = 1

/**
 * Metric values: finite doubles as JSON numbers, and the three values JSON cannot express as the
 * strings `"NaN"`, `"Infinity"`, `"-Infinity"` (so `jq` and every other JSON reader still parse the file).
 */
internal object MetricValueSerializer : KSerializer<Double> {
    override val descriptor: SerialDescriptor =
        PrimitiveSerialDescriptor("dev.ckpt.storage.MetricValue", PrimitiveKind.DOUBLE)

    override fun serialize(encoder: Encoder, value: Double) {
        val json = encoder as? JsonEncoder ?: throw SerializationException("ckpt files are JSON only")
        json.encodeJsonElement(
            when {
                value.isNaN() -> JsonPrimitive("NaN")
                value == Double.POSITIVE_INFINITY -> JsonPrimitive("Infinity")
                value == Double.NEGATIVE_INFINITY -> JsonPrimitive("-Infinity")
                else -> JsonPrimitive(value)
            },
        )
    }

    override fun deserialize(decoder: Decoder): Double {
        val json = decoder as? JsonDecoder ?: throw SerializationException("ckpt files are JSON only")
        val element = json.decodeJsonElement()
        val primitive = element as? JsonPrimitive
        if (primitive == null || primitive is JsonNull) {
            throw SerializationException("a metric value must be a number or one of \"NaN\", \"Infinity\", \"-Infinity\", got $element")
        }
        if (primitive.isString) {
            return when (primitive.content) {
                "NaN" -> Double.NaN
                "Infinity" -> Double.POSITIVE_INFINITY
                "-Infinity" -> Double.NEGATIVE_INFINITY
                else -> throw SerializationException(
                    "a metric value must be a number or one of \"NaN\", \"Infinity\", \"-Infinity\", got $element",
                )
            }
        }
        return primitive.doubleOrNull
            ?: throw SerializationException("a metric value must be a number, got $element")
    }
}

/** ISO-8601 instants (`2024-05-01T12:00:00Z`), validated on input. */
internal object InstantSerializer : KSerializer<Instant> {
    override val descriptor: SerialDescriptor =
        PrimitiveSerialDescriptor("dev.ckpt.storage.Instant", PrimitiveKind.STRING)

    override fun serialize(encoder: Encoder, value: Instant): Unit = encoder.encodeString(value.toString())

    override fun deserialize(decoder: Decoder): Instant {
        val text = decoder.decodeString()
        return try {
            Instant.parse(text)
        } catch (e: DateTimeParseException) {
            throw SerializationException("createdAt must be an ISO-8601 instant such as 2024-05-01T12:00:00Z, got \"$text\"")
        }
    }
}

/**
 * Decodes one of ckpt's JSON files strictly: the version is checked before anything else (so a newer
 * file gets a version message, not a field message), and every failure becomes a [CorruptRunException]
 * naming [file].
 */
internal fun <T> decodeStrict(file: Path, bytes: ByteArray, serializer: KSerializer<T>): T {
    val text = try {
        Charsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString()
    } catch (e: java.nio.charset.CharacterCodingException) {
        throw CorruptRunException(file, "is not valid UTF-8 text", e)
    }
    if (text.isBlank()) throw CorruptRunException(file, "is empty (a crash while it was first written?)")
    val element: JsonElement = try {
        StorageJson.parseToJsonElement(text)
    } catch (e: SerializationException) {
        throw CorruptRunException(file, "is not valid JSON (truncated?): ${e.message?.lineSequence()?.first()}", e)
    }
    if (element !is JsonObject) throw CorruptRunException(file, "must hold a JSON object, got ${element::class.simpleName}")
    val version = element["formatVersion"]
    val versionNumber = (version as? JsonPrimitive)?.takeIf { !it.isString }?.intOrNull
    if (versionNumber == null) {
        throw CorruptRunException(file, "formatVersion must be an integer, got ${version ?: "nothing"}")
    }
    if (versionNumber != FORMAT_VERSION) {
        throw CorruptRunException(
            file,
            "unsupported formatVersion $versionNumber; this version of ckpt reads formatVersion $FORMAT_VERSION " +
                "(a newer ckpt wrote it? upgrade ckpt to read it)",
        )
    }
    return try {
        StorageJson.decodeFromJsonElement(serializer, element)
    } catch (e: SerializationException) {
        throw CorruptRunException(file, e.message?.lineSequence()?.first() ?: "does not match the expected structure", e)
    } catch (e: IllegalArgumentException) {
        // Constructor validation (init blocks) of the stored types.
        throw CorruptRunException(file, e.message ?: "holds an invalid value", e)
    }
}

internal fun <T> encodeBytes(serializer: KSerializer<T>, value: T): ByteArray =
    (StorageJson.encodeToString(serializer, value) + "\n").toByteArray(Charsets.UTF_8)

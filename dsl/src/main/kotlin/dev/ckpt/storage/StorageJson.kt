package dev.ckpt.storage

import dev.ckpt.InternalCkptApi
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
import dev.ckpt.CorruptRunException
import kotlinx.serialization.descriptors.StructureKind
import kotlinx.serialization.json.JsonArray
import java.time.Instant
import java.time.format.DateTimeParseException

/** The one JSON configuration for ckpt's files: strict on input, readable (pretty) on output. */
@InternalCkptApi
public val StorageJson: Json = Json {
    prettyPrint = true
    encodeDefaults = true
    explicitNulls = true
    ignoreUnknownKeys = false
    isLenient = false
    allowSpecialFloatingPointValues = false
}

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
@InternalCkptApi
public object InstantSerializer : KSerializer<Instant> {
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

/** Decodes one version of one of ckpt's files into the current model. */
@InternalCkptApi
public class FormatCodec<T>(internal val descriptor: SerialDescriptor, private val decode: (JsonElement) -> T) {
    public fun decode(element: JsonElement): T = decode.invoke(element)

    public companion object {
        public operator fun <S, T> invoke(serializer: KSerializer<S>, convert: (S) -> T): FormatCodec<T> =
            FormatCodec(serializer.descriptor) { convert(StorageJson.decodeFromJsonElement(serializer, it)) }
    }
}

/** The codecs of `manifest.json` and `checkpoint.json`, by format version. */
@InternalCkptApi
public object Codecs {
    private val manifests = mapOf(1 to FormatV1.manifest, FORMAT_VERSION to FormatCodec(Manifest.serializer()) { it })
    private val metadata = mapOf(1 to FormatV1.metadata, FORMAT_VERSION to FormatCodec(CheckpointMetadata.serializer()) { it })

    public fun decodeManifest(file: String, bytes: ByteArray): Manifest = decodeStrict(file, bytes, manifests)

    public fun decodeMetadata(file: String, bytes: ByteArray): CheckpointMetadata = decodeStrict(file, bytes, metadata)

    public fun encode(manifest: Manifest): ByteArray = encodeBytes(Manifest.serializer(), manifest)

    public fun encode(metadata: CheckpointMetadata): ByteArray = encodeBytes(CheckpointMetadata.serializer(), metadata)
}

/**
 * Decodes one of ckpt's JSON files strictly: the version is checked before anything else (so a newer file gets
 * a version message, not a field message), missing and unknown fields are named with where they are
 * (`checkpoints[1] ("e02") lacks the required field facts`), and every failure becomes a [CorruptRunException]
 * naming [file].
 */
@InternalCkptApi
public fun <T> decodeStrict(file: String, bytes: ByteArray, codecs: Map<Int, FormatCodec<T>>): T {
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
        ?: throw CorruptRunException(file, "formatVersion must be an integer, got ${version ?: "nothing"}")
    val codec = codecs[versionNumber] ?: throw CorruptRunException(
        file,
        "unsupported formatVersion $versionNumber; this version of ckpt reads formatVersion " +
            codecs.keys.sorted().joinToString(" and ") + " (a newer ckpt wrote it? upgrade ckpt to read it)",
    )
    JsonShape.problem(element, codec.descriptor, "")?.let { throw CorruptRunException(file, it) }
    return try {
        codec.decode(element)
    } catch (e: SerializationException) {
        throw CorruptRunException(file, e.message?.lineSequence()?.first() ?: "does not match the expected structure", e)
    } catch (e: IllegalArgumentException) {
        // Constructor validation (init blocks) of the stored types.
        throw CorruptRunException(file, e.message ?: "holds an invalid value", e)
    }
}

/** Compares a JSON tree with the shape a format declares, to name missing and unknown fields in ckpt's words. */
@OptIn(kotlinx.serialization.ExperimentalSerializationApi::class)
internal object JsonShape {
    fun problem(element: JsonElement, descriptor: SerialDescriptor, where: String): String? {
        if (element is JsonNull) return if (descriptor.isNullable) null else "${describe(where)} must not be null"
        return when (descriptor.kind) {
            StructureKind.CLASS, StructureKind.OBJECT -> objectProblem(element, descriptor, where)
            StructureKind.LIST -> {
                if (element !is JsonArray) return "${describe(where)} must be a JSON array"
                element.withIndex().firstNotNullOfOrNull { (i, item) ->
                    val label = ((item as? JsonObject)?.get("path") as? JsonPrimitive)?.takeIf { it.isString }?.content
                    problem(item, descriptor.getElementDescriptor(0), "$where[$i]" + (label?.let { " (\"$it\")" } ?: ""))
                }
            }
            StructureKind.MAP -> {
                if (element !is JsonObject) return "${describe(where)} must be a JSON object"
                element.entries.firstNotNullOfOrNull { (key, value) ->
                    problem(value, descriptor.getElementDescriptor(1), "$where[\"$key\"]")
                }
            }
            else -> null
        }
    }

    private fun objectProblem(element: JsonElement, descriptor: SerialDescriptor, where: String): String? {
        if (element !is JsonObject) return "${describe(where)} must be a JSON object"
        val names = (0 until descriptor.elementsCount).map { descriptor.getElementName(it) }
        val missing = (0 until descriptor.elementsCount)
            .filter { !descriptor.isElementOptional(it) && descriptor.getElementName(it) !in element }
            .map { descriptor.getElementName(it) }
        if (missing.isNotEmpty()) {
            return "${describe(where)} lacks the required field${if (missing.size > 1) "s" else ""} ${missing.joinToString(", ")}"
        }
        element.keys.firstOrNull { it !in names }?.let {
            return "${describe(where)} has the unknown field '$it'; expected only ${names.joinToString(", ")}"
        }
        return (0 until descriptor.elementsCount).firstNotNullOfOrNull { i ->
            element[descriptor.getElementName(i)]?.let { child ->
                problem(child, descriptor.getElementDescriptor(i), join(where, descriptor.getElementName(i)))
            }
        }
    }

    private fun join(where: String, name: String): String = if (where.isEmpty()) name else "$where.$name"

    private fun describe(where: String): String = if (where.isEmpty()) "the file" else where
}
@InternalCkptApi
public fun <T> encodeBytes(serializer: KSerializer<T>, value: T): ByteArray =
    (StorageJson.encodeToString(serializer, value) + "\n").toByteArray(Charsets.UTF_8)

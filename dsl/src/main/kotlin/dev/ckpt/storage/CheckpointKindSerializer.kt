package dev.ckpt.storage

import dev.ckpt.CheckpointKind
import kotlinx.serialization.KSerializer
import kotlinx.serialization.SerializationException
import kotlinx.serialization.descriptors.PrimitiveKind
import kotlinx.serialization.descriptors.PrimitiveSerialDescriptor
import kotlinx.serialization.descriptors.SerialDescriptor
import kotlinx.serialization.encoding.Decoder
import kotlinx.serialization.encoding.Encoder

/**
 * [CheckpointKind] as `checkpoint.json` and `manifest.json` store it, `"weights"` or `"full"`: kept in storage so
 * that the public enum carries no kotlinx.serialization type (the names on disk are format 2's, published).
 */
internal object CheckpointKindSerializer : KSerializer<CheckpointKind> {
    private val names = mapOf(CheckpointKind.WEIGHTS to "weights", CheckpointKind.FULL to "full")

    override val descriptor: SerialDescriptor = PrimitiveSerialDescriptor("dev.ckpt.storage.CheckpointKind", PrimitiveKind.STRING)

    override fun serialize(encoder: Encoder, value: CheckpointKind): Unit = encoder.encodeString(names.getValue(value))

    override fun deserialize(decoder: Decoder): CheckpointKind {
        val text = decoder.decodeString()
        return names.entries.firstOrNull { it.value == text }?.key
            ?: throw SerializationException("kind must be one of ${names.values.joinToString(", ") { "\"$it\"" }}, got \"$text\"")
    }
}

package dev.ckpt.kotlindl

import java.nio.ByteBuffer
import java.nio.FloatBuffer
import java.security.MessageDigest
import java.util.HexFormat

/**
 * SHA-256 of a variable's raw float bits (big-endian, in order): equal digests mean equal files, because a variable's
 * file is a function of its floats alone. Computed on the writer thread; about a third of the bytes the text file has,
 * and no formatting.
 *
 * ```kotlin
 * val same = RawDigest.of(before.values()) == RawDigest.of(after.values())
 * ```
 *
 * It deliberately hashes bits, not values: `-0.0` and `0.0`, or two NaNs with different payloads, differ.
 */
internal object RawDigest {
    private const val CHUNK_FLOATS = 16 * 1024

    fun of(values: FloatBuffer): String {
        val digest = MessageDigest.getInstance("SHA-256")
        val bytes = ByteBuffer.allocate(CHUNK_FLOATS * Float.SIZE_BYTES)
        val floats = bytes.asFloatBuffer()
        val source = values.duplicate()
        while (source.hasRemaining()) {
            val n = minOf(CHUNK_FLOATS, source.remaining())
            floats.clear()
            floats.put(source.slice().limit(n))
            source.position(source.position() + n)
            digest.update(bytes.array(), 0, n * Float.SIZE_BYTES)
        }
        return HexFormat.of().formatHex(digest.digest())
    }
}

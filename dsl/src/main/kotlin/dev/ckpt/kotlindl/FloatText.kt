package dev.ckpt.kotlindl

import java.io.IOException
import java.io.OutputStream
import java.nio.FloatBuffer

/**
 * The text encoding of one variable file: each float as `Float.toString` prints it, separated by single spaces,
 * no trailing separator or newline. `Float.toString` prints enough digits to identify the float, and
 * `Float.parseFloat` (like KotlinDL's `Scanner.nextFloat`) reads it back to the same bits, NaN and infinities included.
 */
internal object FloatText {
    private const val CHUNK = 1 shl 15

    fun write(values: FloatBuffer, out: OutputStream) {
        val text = StringBuilder(CHUNK + 32)
        val bytes = ByteArray(CHUNK + 32)
        val n = values.remaining()
        val start = values.position()
        for (i in 0 until n) {
            if (i > 0) text.append(' ')
            // StringBuilder.append(float) prints the same digits as Float.toString without a String per value.
            text.append(values.get(start + i))
            if (text.length >= CHUNK) flush(text, bytes, out)
        }
        flush(text, bytes, out)
    }

    private fun flush(text: StringBuilder, bytes: ByteArray, out: OutputStream) {
        // Float.toString output is ASCII, so one char is one byte.
        for (i in text.indices) bytes[i] = text[i].code.toByte()
        out.write(bytes, 0, text.length)
        text.setLength(0)
    }

    /** Counts the whitespace-separated tokens without parsing them. */
    fun count(bytes: ByteArray): Int {
        var count = 0
        var inToken = false
        for (b in bytes) {
            val space = isSpace(b)
            if (!space && !inToken) count++
            inToken = !space
        }
        return count
    }

    /** Parses exactly [count] floats; the caller has checked the count with [count]. */
    fun parse(bytes: ByteArray, count: Int, file: String): FloatBuffer {
        val out = FloatBuffer.allocate(count)
        var i = 0
        while (out.hasRemaining()) {
            while (isSpace(bytes[i])) i++
            val start = i
            while (i < bytes.size && !isSpace(bytes[i])) i++
            val token = String(bytes, start, i - start, Charsets.ISO_8859_1)
            val value = try {
                java.lang.Float.parseFloat(token)
            } catch (e: NumberFormatException) {
                throw IOException("$file: value ${out.position() + 1} of $count, '${token.take(40)}', is not a float", e)
            }
            out.put(value)
        }
        out.flip()
        return out
    }

    private fun isSpace(b: Byte): Boolean = b == ' '.code.toByte() || b == '\n'.code.toByte() ||
        b == '\r'.code.toByte() || b == '\t'.code.toByte()
}

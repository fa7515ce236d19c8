package dev.ckpt.kotlindl

import ch.randelshofer.fastdoubleparser.JavaFloatParser
import java.io.IOException
import java.io.OutputStream
import java.nio.FloatBuffer
import java.util.concurrent.atomic.AtomicReferenceArray
import java.util.stream.IntStream

/**
 * The text encoding of one variable file: each float as `Float.toString` prints it, separated by single spaces,
 * no trailing separator or newline. `Float.toString` prints enough digits to identify the float, and
 * `Float.parseFloat` (like KotlinDL's `Scanner.nextFloat`) reads it back to the same bits, NaN and infinities included.
 *
 * The writer prints what `Float.toString` of JDK 19+ prints, the shortest decimal, on any JDK ([FloatFormatter]),
 * straight into bytes, eight digits at a time. JDK 17's `Float.toString` prints other digits for some floats (mostly a digit too many for
 * values from 2^25 to 2^63); files it wrote (older checkpoints, KotlinDL's own `save` on JDK 17) read back alike.
 *
 * The reader finds tokens eight bytes at a time ([TextScan]) and parses them from the bytes with fastdoubleparser's
 * `JavaFloatParser`, which gives the bits `Float.parseFloat` gives. It can parse a large file in slices on several
 * threads; by default it does not, because on the two shared cores it was measured on that was slower, not faster
 * (FloatTextBenchmark).
 */
internal object FloatText {
    /** The most bytes one value takes, separator not included. */
    const val MAX_VALUE_LENGTH: Int = FloatFormatter.MAX_LENGTH

    private const val CHUNK = 1 shl 16

    /**
     * [format] writes this many last values through a scratch array. [FloatFormatter.format] may change bytes up to
     * [MAX_VALUE_LENGTH] after a value's start; a value and its separator take at least 4 bytes, so with the last
     * four written exactly, no byte after the text changes.
     */
    private const val EXACT_TAIL = 4

    /** Values copied out of a buffer at a time. */
    private const val BATCH = 1024

    /** The smallest slice of a file that [parse] hands to a thread. */
    private const val MIN_SLICE_BYTES = 1 shl 18

    /** Writes [values] from its position to its limit to [out]; the buffer's position does not move. */
    fun write(values: FloatBuffer, out: OutputStream) {
        val bytes = ByteArray(CHUNK + BATCH * (MAX_VALUE_LENGTH + 1))
        val batch = FloatArray(BATCH)
        var p = 0
        forEachBatch(values, batch) { n, first ->
            for (j in 0 until n) {
                if (j > 0 || !first) bytes[p++] = SPACE
                p = FloatFormatter.format(batch[j], bytes, p)
            }
            if (p >= CHUNK) {
                out.write(bytes, 0, p)
                p = 0
            }
        }
        out.write(bytes, 0, p)
    }

    /** The most bytes [count] values take as text: [MAX_VALUE_LENGTH] each and a separator between two. */
    fun maxLength(count: Int): Long = if (count == 0) 0 else count * (MAX_VALUE_LENGTH + 1L) - 1

    /**
     * Formats [values] (from its position to its limit; the position does not move) into [out] from [pos], as [write]
     * would write them, and returns the position after the text. [out] must have [maxLength] bytes from [pos] on.
     *
     * Formatting touches no shared state, so several variables can be formatted on several threads at once, each
     * thread reusing its own array.
     */
    fun format(values: FloatBuffer, out: ByteArray, pos: Int): Int {
        require(pos >= 0 && out.size - pos >= maxLength(values.remaining())) {
            "out: ${values.remaining()} values need up to ${maxLength(values.remaining())} bytes, but only ${out.size - pos} follow position $pos"
        }
        val batch = FloatArray(BATCH)
        val end = values.limit()
        val exactFrom = end - EXACT_TAIL
        var i = values.position()
        var p = pos
        while (i < end) {
            val n = minOf(BATCH, end - i)
            values.get(i, batch, 0, n)
            for (j in 0 until n) {
                val k = i + j
                if (k > values.position()) out[p++] = SPACE
                p = if (k < exactFrom) FloatFormatter.format(batch[j], out, p) else format(batch[j], out, p)
            }
            i += n
        }
        return p
    }

    /**
     * The file contents [write] would write for [values] (from its position to its limit; the position does not
     * move), as one array, for up to about 130 million values. It formats into an array of [maxLength] bytes, then
     * copies the text out; [format] into a reused array saves that allocation and copy.
     */
    fun format(values: FloatBuffer): ByteArray {
        val max = maxLength(values.remaining())
        require(max <= Int.MAX_VALUE - 8) { "${values.remaining()} values may not fit one array as text; write them to a stream" }
        val bytes = ByteArray(max.toInt())
        val end = format(values, bytes, 0)
        return if (end == bytes.size) bytes else bytes.copyOf(end)
    }

    /**
     * Copies [values] from its position to its limit into [batch] (absolute gets: the position does not move) and
     * hands each batch's size to [body], with whether it is the first. One bulk copy per batch is cheaper than a
     * get per value on a read-only or direct buffer.
     */
    private inline fun forEachBatch(values: FloatBuffer, batch: FloatArray, body: (n: Int, first: Boolean) -> Unit) {
        val end = values.limit()
        var i = values.position()
        var first = true
        while (i < end) {
            val n = minOf(batch.size, end - i)
            values.get(i, batch, 0, n)
            body(n, first)
            first = false
            i += n
        }
    }

    /**
     * Writes [value] as `Float.toString` (JDK 19+) prints it into [out] at [pos]; returns the position after it.
     * Nothing after the text changes (unlike [FloatFormatter.format], which this calls through a scratch array).
     */
    fun format(value: Float, out: ByteArray, pos: Int): Int {
        val scratch = ByteArray(MAX_VALUE_LENGTH)
        val length = FloatFormatter.format(value, scratch, 0)
        System.arraycopy(scratch, 0, out, pos, length)
        return pos + length
    }

    /** Counts the whitespace-separated tokens without parsing them. */
    fun count(bytes: ByteArray): Int = TextScan.count(bytes, 0, bytes.size)

    /**
     * Parses exactly [count] floats on the calling thread; the caller has checked the count with [count].
     *
     * @throws IOException naming [file] and the value if a token is not a float, or if there are fewer than [count]
     */
    fun parse(bytes: ByteArray, count: Int, file: String): FloatBuffer = parse(bytes, count, file, 1)

    /**
     * As [parse], in up to [slices] slices of at least 256 KiB parsed at once by the common fork-join pool and the
     * calling thread (1: on the calling thread alone). Each slice ends at whitespace; the slices' tokens are
     * counted first, in parallel too, to know where each slice's values go. If several tokens are not floats,
     * the exception names the first.
     */
    fun parse(bytes: ByteArray, count: Int, file: String, slices: Int): FloatBuffer {
        val values = FloatArray(count)
        val n = minOf(slices, bytes.size / MIN_SLICE_BYTES).coerceAtLeast(1)
        if (n == 1) {
            val parsed = parseRange(bytes, 0, bytes.size, values, 0, count, count, file)
            if (parsed < count) throw IOException("$file: expected $count values, found $parsed")
            return FloatBuffer.wrap(values)
        }
        val bounds = IntArray(n + 1)
        bounds[n] = bytes.size
        for (j in 1 until n) {
            val b = maxOf((bytes.size.toLong() * j / n).toInt(), bounds[j - 1])
            bounds[j] = TextScan.tokenEnd(bytes, b, bytes.size)
        }
        val counts = IntArray(n)
        IntStream.range(0, n).parallel().forEach { j -> counts[j] = TextScan.count(bytes, bounds[j], bounds[j + 1]) }
        if (counts.sum() < count) throw IOException("$file: expected $count values, found ${counts.sum()}")
        val firsts = IntArray(n)
        for (j in 1 until n) firsts[j] = firsts[j - 1] + counts[j - 1]
        // Failures are kept and the first slice's rethrown here, so the message names the first bad value and
        // the exception is not rewrapped by the fork-join pool.
        val failures = AtomicReferenceArray<IOException>(n)
        IntStream.range(0, n).parallel().forEach { j ->
            try {
                val limit = minOf(counts[j], count - firsts[j]).coerceAtLeast(0)
                parseRange(bytes, bounds[j], bounds[j + 1], values, firsts[j], limit, count, file)
            } catch (e: IOException) {
                failures.set(j, e)
            }
        }
        for (j in 0 until n) failures.get(j)?.let { throw it }
        return FloatBuffer.wrap(values)
    }

    /** Parses up to [limit] tokens of bytes[from, to) into values from [first] on; returns how many it parsed. */
    private fun parseRange(bytes: ByteArray, from: Int, to: Int, values: FloatArray, first: Int, limit: Int, count: Int, file: String): Int {
        var i = from
        var k = first
        val end = first + limit
        while (k < end) {
            while (i < to && TextScan.isSpace(bytes[i])) i++
            if (i == to) return k - first
            val start = i
            i = TextScan.tokenEnd(bytes, i, to)
            values[k] = try {
                JavaFloatParser.parseFloat(bytes, start, i - start)
            } catch (e: NumberFormatException) {
                parseSlowly(bytes, start, i - start, k, count, file, e)
            }
            k++
        }
        return limit
    }

    /**
     * A token fastdoubleparser refused: Float.parseFloat has the last word, so the reader accepts exactly what it
     * accepted before, and names the value if it is not a float.
     */
    private fun parseSlowly(bytes: ByteArray, start: Int, length: Int, index: Int, count: Int, file: String, e: NumberFormatException): Float {
        val token = String(bytes, start, length, Charsets.ISO_8859_1)
        return try {
            java.lang.Float.parseFloat(token)
        } catch (slow: NumberFormatException) {
            slow.addSuppressed(e)
            throw IOException("$file: value ${index + 1} of $count, '${token.take(40)}', is not a float", slow)
        }
    }

    private const val SPACE = ' '.code.toByte()
}

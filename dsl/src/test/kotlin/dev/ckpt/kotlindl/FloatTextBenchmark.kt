package dev.ckpt.kotlindl

import java.io.IOException
import java.io.OutputStream
import java.nio.FloatBuffer
import java.util.SplittableRandom
import java.util.concurrent.Callable
import java.util.concurrent.Executors

/**
 * Formatting and parsing speed of [FloatText] against the code it replaced (StringBuilder.append(float), that is
 * the running JDK's Float.toString digits, and a String plus Float.parseFloat per token), on one run, alternating
 * the contenders round by round so that drift in machine load hits all alike; medians per float.
 *
 * Not a test. Run:
 * `mvn -B -q -pl dsl -am test-compile exec:exec -DskipBenchmarks=false -Dexec.mainClass=dev.ckpt.kotlindl.FloatTextBenchmarkKt \
 *     [-Dbench.args="WARMUP REPS"]`
 *
 * Data: "weights", Gaussian with σ = 0.05 like trained dense layers (10–13 bytes a value), and "any bits", random
 * bit patterns (every exponent; 13–15 bytes). Rows:
 * - format: old = StringBuilder + char-to-byte copy into an OutputStream (the previous FloatText.write), new =
 *   FloatText.write into the same discarding stream; to new array = FloatText.format(buffer), which allocates
 *   maxLength bytes and copies the text out; to reused array = FloatText.format(buffer, array, 0); 4 variables =
 *   the values split in four variables, each formatted into its thread's reused array, on a pool of two threads
 *   against the same four one after the other.
 * - parse: old = String + Float.parseFloat per token, new = FloatText.parse in one slice (what the reader does),
 *   and in as many slices as processors; count = FloatText.count, which the reader runs first.
 */
fun main(args: Array<String>) {
    val warmup = args.getOrNull(0)?.toInt() ?: 3
    val reps = args.getOrNull(1)?.toInt() ?: 7
    val cores = Runtime.getRuntime().availableProcessors()
    println("warmup $warmup, repetitions $reps, median ns per float; JVM ${System.getProperty("java.version")}, $cores processors")
    val pool = Executors.newFixedThreadPool(2)
    try {
        for (size in listOf(300_000, 3_000_000)) {
            for ((label, values) in listOf("weights" to weights(size), "any bits" to anyBits(size))) {
                val buffer = FloatBuffer.wrap(values)
                val text = FloatText.format(buffer)
                // Old and new text differ where JDK 17 printed more digits than needed; both must read back alike.
                check(FloatText.parse(text, size, "new").array().contentEquals(values)) { "new text does not read back" }
                check(oldParse(oldFormat(values), size).array().contentEquals(values)) { "old text does not read back" }
                println()
                println("$label, ${"%,d".format(size)} floats, ${"%.1f".format(text.size.toDouble() / size)} bytes a value")
                val quarter = size / 4
                val parts = (0 until 4).map { FloatBuffer.wrap(values, it * quarter, if (it == 3) size - 3 * quarter else quarter).slice() }
                val reused = ByteArray(FloatText.maxLength(size).toInt())
                // what a writer formatting variables on several threads would do: an array per thread, reused
                val perThread = ThreadLocal.withInitial { ByteArray(FloatText.maxLength(size - 3 * quarter).toInt()) }
                fun formatPart(part: FloatBuffer) {
                    val bytes = perThread.get()
                    Discard.write(bytes, 0, FloatText.format(part, bytes, 0))
                }
                val f = measure(
                    warmup, reps, size,
                    "format old" to { oldWrite(values, Discard) },
                    "format new" to { FloatText.write(buffer, Discard) },
                    "format to new array" to { Discard.write(FloatText.format(buffer)) },
                    "format to reused array" to { Discard.write(reused, 0, FloatText.format(buffer, reused, 0)) },
                    "4 variables, 1 thread" to { parts.forEach { formatPart(it) } },
                    "4 variables, 2 threads" to { pool.invokeAll(parts.map { p -> Callable { formatPart(p) } }).forEach { it.get() } },
                )
                report(f, "format old")
                val p = measure(
                    warmup, reps, size,
                    "parse old" to { oldParse(text, size) },
                    "parse new, 1 slice" to { FloatText.parse(text, size, "bench", 1) },
                    "parse new, $cores slices" to { FloatText.parse(text, size, "bench", cores) },
                    "count" to { check(FloatText.count(text) == size) },
                )
                report(p, "parse old")
            }
        }
    } finally {
        pool.shutdown()
    }
}

private fun weights(n: Int): FloatArray {
    val random = SplittableRandom(1)
    return FloatArray(n) { (random.nextGaussian() * 0.05).toFloat() }
}

private fun anyBits(n: Int): FloatArray {
    val random = SplittableRandom(2)
    return FloatArray(n) {
        var v: Float
        do v = java.lang.Float.intBitsToFloat(random.nextInt()) while (v.isNaN())
        v
    }
}

/** Discards what it is given, counting it so that nothing is optimized away. */
private object Discard : OutputStream() {
    var bytes = 0L
    override fun write(b: Int) {
        bytes++
    }

    override fun write(b: ByteArray, off: Int, len: Int) {
        bytes += len
    }
}

/** The writer before: StringBuilder.append(float), then one char to one byte, in 32 KiB chunks. */
private fun oldWrite(values: FloatArray, out: OutputStream) {
    val chunk = 1 shl 15
    val text = StringBuilder(chunk + 32)
    val bytes = ByteArray(chunk + 32)
    fun flush() {
        for (i in text.indices) bytes[i] = text[i].code.toByte()
        out.write(bytes, 0, text.length)
        text.setLength(0)
    }
    for (i in values.indices) {
        if (i > 0) text.append(' ')
        text.append(values[i])
        if (text.length >= chunk) flush()
    }
    flush()
}

private fun oldFormat(values: FloatArray): ByteArray =
    java.io.ByteArrayOutputStream().also { oldWrite(values, it) }.toByteArray()

/** The reader before: a String per token and Float.parseFloat. */
private fun oldParse(bytes: ByteArray, count: Int): FloatBuffer {
    fun isSpace(b: Byte) = b == ' '.code.toByte() || b == '\n'.code.toByte() || b == '\r'.code.toByte() || b == '\t'.code.toByte()
    val out = FloatBuffer.allocate(count)
    var i = 0
    while (out.hasRemaining()) {
        while (isSpace(bytes[i])) i++
        val start = i
        while (i < bytes.size && !isSpace(bytes[i])) i++
        val token = String(bytes, start, i - start, Charsets.ISO_8859_1)
        out.put(
            try {
                java.lang.Float.parseFloat(token)
            } catch (e: NumberFormatException) {
                throw IOException(token, e)
            },
        )
    }
    out.flip()
    return out
}

/** Runs the contenders in rotating order, [reps] rounds after [warmup]; median nanoseconds per float of each. */
private fun measure(warmup: Int, reps: Int, size: Int, vararg runs: Pair<String, () -> Unit>): List<Pair<String, Double>> {
    repeat(warmup) { runs.forEach { it.second() } }
    val times = Array(runs.size) { DoubleArray(reps) }
    for (r in 0 until reps) {
        for (k in runs.indices) {
            val i = (r + k) % runs.size
            val start = System.nanoTime()
            runs[i].second()
            times[i][r] = (System.nanoTime() - start).toDouble() / size
        }
    }
    return runs.indices.map { runs[it].first to times[it].sorted()[reps / 2] }
}

private fun report(results: List<Pair<String, Double>>, baseline: String) {
    val base = results.first { it.first == baseline }.second
    for ((name, ns) in results) {
        println(String.format("  %-24s %8.1f ns/float   %6.2fx faster than %s", name, ns, base / ns, baseline))
    }
}

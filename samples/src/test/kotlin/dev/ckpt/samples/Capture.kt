package dev.ckpt.samples

import java.io.ByteArrayOutputStream
import java.io.PrintStream

/** What a block printed to stdout and to the stream handed to it as stderr, plus its result. */
data class Captured<T>(val result: T, val out: String, val err: String)

/** Scripts print with `println`, which writes to `System.out`: swap it for the duration of [block]. */
fun <T> capture(block: (err: PrintStream) -> T): Captured<T> {
    val out = ByteArrayOutputStream()
    val err = ByteArrayOutputStream()
    val original = System.out
    val result = PrintStream(out, true, Charsets.UTF_8).use { replacement ->
        System.setOut(replacement)
        try {
            PrintStream(err, true, Charsets.UTF_8).use { block(it) }
        } finally {
            System.setOut(original)
        }
    }
    // Echo, so a failing test shows what the script said.
    original.print(out.toString(Charsets.UTF_8))
    System.err.print(err.toString(Charsets.UTF_8))
    return Captured(result, out.toString(Charsets.UTF_8), err.toString(Charsets.UTF_8))
}

private val ACCURACY = Regex("""validation accuracy: (\d+\.\d+)""")

/** The accuracy a sample printed as `validation accuracy: 0.9315`, or null when it printed none. */
fun printedAccuracy(out: String): Double? = ACCURACY.find(out)?.groupValues?.get(1)?.toDouble()

package dev.ckpt.kotlindl

import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.shouldBe
import java.nio.FloatBuffer
import java.util.SplittableRandom

/**
 * The writer's formatter ([FloatFormatter]) against the one it replaced ([FloatFormatterBaseline], which the JDK 25
 * golden file and the exhaustive check pinned to `Float.toString` of JDK 19+), and the promise [FloatText.format]
 * keeps although [FloatFormatter.format] may change bytes after a value's text: nothing after the text changes.
 */
class FloatWriterSpec : FunSpec({
    fun baseline(v: Float): String {
        val buf = ByteArray(FloatFormatter.MAX_LENGTH)
        return String(buf, 0, FloatFormatterBaseline.format(v, buf, 0), Charsets.US_ASCII)
    }

    fun formatted(v: Float): String {
        val buf = ByteArray(FloatFormatter.MAX_LENGTH)
        return String(buf, 0, FloatFormatter.format(v, buf, 0), Charsets.US_ASCII)
    }

    test("random bit patterns of every exponent and random weights are printed as the previous formatter printed them") {
        val random = SplittableRandom(21)
        var checked = 0
        val wrong = ArrayList<String>()
        repeat(2_000_000) {
            val v = if (it % 2 == 0) java.lang.Float.intBitsToFloat(random.nextInt()) else (random.nextGaussian() * 0.05).toFloat()
            if (formatted(v) != baseline(v) && wrong.size < 10) wrong += "0x%08x: before ${baseline(v)}, now ${formatted(v)}".format(java.lang.Float.floatToRawIntBits(v))
            checked++
        }
        wrong.shouldBeEmpty()
        checked shouldBe 2_000_000
    }

    test("every power of ten and its neighbours, the decimal layout's edges, are printed as before") {
        val wrong = ArrayList<String>()
        for (e in -45..38) {
            val p = "1.0E$e".toFloat()
            for (v in listOf(p, Math.nextDown(p), Math.nextUp(p), -p, 9.999999f * p, 5f * p)) {
                if (formatted(v) != baseline(v)) wrong += "$v: before ${baseline(v)}, now ${formatted(v)}"
            }
        }
        wrong.shouldBeEmpty()
    }

    context("formatting into a reused array leaves every byte after the text as it was, whatever the last value's layout") {
        withData(
            nameFn = { "last value ${baseline(it)}" },
            1f, 0.5f, -0.25f, 0.001f, 1.0E-5f, 123456.7f, 1234567f, 1.0E7f, -3.0E10f, 1.4E-45f, 0f, -0f,
            Float.NaN, Float.NEGATIVE_INFINITY, -1.20370614E-35f,
        ) { last ->
            val values = floatArrayOf(0.25f, last)
            val expected = "0.25 ${baseline(last)}"
            val out = ByteArray(3 + FloatText.maxLength(values.size).toInt() + 8) { 'x'.code.toByte() }
            val end = FloatText.format(FloatBuffer.wrap(values), out, 3)
            String(out, 3, end - 3, Charsets.US_ASCII) shouldBe expected
            String(out, 0, 3, Charsets.US_ASCII) shouldBe "xxx"
            String(out, end, out.size - end, Charsets.US_ASCII) shouldBe "x".repeat(out.size - end)
            val one = ByteArray(FloatText.MAX_VALUE_LENGTH + 4) { 'x'.code.toByte() }
            val oneEnd = FloatText.format(last, one, 2)
            String(one, 2, oneEnd - 2, Charsets.US_ASCII) shouldBe baseline(last)
            String(one, oneEnd, one.size - oneEnd, Charsets.US_ASCII) shouldBe "x".repeat(one.size - oneEnd)
        }
    }

    test("a variable of more values than one batch is the values' text joined by spaces, with nothing after it") {
        val random = SplittableRandom(5)
        val values = FloatArray(2_500) { (random.nextGaussian() * 0.05).toFloat() }
        val out = ByteArray(FloatText.maxLength(values.size).toInt() + 16) { 'x'.code.toByte() }
        val end = FloatText.format(FloatBuffer.wrap(values), out, 0)
        String(out, 0, end, Charsets.US_ASCII) shouldBe values.joinToString(" ") { baseline(it) }
        String(out, end, out.size - end, Charsets.US_ASCII) shouldBe "x".repeat(out.size - end)
    }
})

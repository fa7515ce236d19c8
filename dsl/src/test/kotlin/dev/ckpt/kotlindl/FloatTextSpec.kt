package dev.ckpt.kotlindl

import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.shouldBe
import io.kotest.property.Arb
import io.kotest.property.arbitrary.float
import io.kotest.property.arbitrary.int
import io.kotest.property.arbitrary.list
import io.kotest.property.arbitrary.map
import io.kotest.property.checkAll
import java.io.ByteArrayOutputStream
import java.nio.FloatBuffer
import java.util.Locale
import java.util.Scanner

class FloatTextSpec : FunSpec({
    fun encode(values: FloatArray): String =
        ByteArrayOutputStream().also { FloatText.write(FloatBuffer.wrap(values), it) }.toString(Charsets.US_ASCII)

    fun decode(text: String, count: Int): FloatArray {
        val bytes = text.toByteArray(Charsets.US_ASCII)
        FloatText.count(bytes) shouldBe count
        val buf = FloatText.parse(bytes, count, "test.txt")
        return FloatArray(count) { buf.get(it) }
    }

    // What KotlinDL 0.4.0 reads with: java.util.Scanner, Locale.US, nextFloat().
    fun kotlinDlDecode(text: String, count: Int): FloatArray =
        Scanner(text).useLocale(Locale.US).use { s -> FloatArray(count) { s.nextFloat() } }

    // NaN payloads cannot survive a text format; everything else keeps its exact bits.
    fun bits(values: FloatArray): List<Int> = values.map { java.lang.Float.floatToIntBits(it) }

    // Any bit pattern: subnormals, huge exponents, negative zero, infinities, NaNs.
    val anyFloat = Arb.int().map { java.lang.Float.intBitsToFloat(it) }

    test("encodes exactly as KotlinDL's save does: Float.toString values joined by single spaces, nothing after") {
        checkAll(300, Arb.list(anyFloat, 1..300)) { values ->
            encode(values.toFloatArray()) shouldBe values.joinToString(" ") { it.toString() }
        }
    }

    test("every float round-trips bitwise through ckpt's reader and through KotlinDL's Scanner") {
        checkAll(300, Arb.list(anyFloat, 1..300)) { list ->
            val values = list.toFloatArray()
            val text = encode(values)
            bits(decode(text, values.size)) shouldBe bits(values)
            bits(kotlinDlDecode(text, values.size)) shouldBe bits(values)
        }
    }

    test("typical weights round-trip bitwise") {
        checkAll(100, Arb.list(Arb.float(-10f, 10f), 1..2000)) { list ->
            val values = list.toFloatArray()
            bits(decode(encode(values), values.size)) shouldBe bits(values)
        }
    }

    context("edge values keep their bits") {
        withData(
            nameFn = { "${it}f (0x${Integer.toHexString(java.lang.Float.floatToIntBits(it))})" },
            0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, java.lang.Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
            Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN, 0.1f, 16777217f, 1.0E-5f, 3.4028235E38f,
        ) { v ->
            val text = encode(floatArrayOf(v, v))
            bits(decode(text, 2)) shouldBe bits(floatArrayOf(v, v))
            bits(kotlinDlDecode(text, 2)) shouldBe bits(floatArrayOf(v, v))
        }
    }

    test("an empty variable encodes to an empty file and decodes to no values") {
        encode(FloatArray(0)) shouldBe ""
        decode("", 0).size shouldBe 0
    }

    test("the reader accepts any whitespace between values, as KotlinDL's Scanner does") {
        bits(decode(" 1.5\n-2.0\t\r\n3.0E-7 ", 3)) shouldBe bits(floatArrayOf(1.5f, -2.0f, 3.0E-7f))
    }
})

package dev.ckpt.kotlindl

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.ints.shouldBeLessThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.property.Arb
import io.kotest.property.arbitrary.float
import io.kotest.property.arbitrary.int
import io.kotest.property.arbitrary.list
import io.kotest.property.arbitrary.map
import io.kotest.property.checkAll
import java.io.ByteArrayOutputStream
import java.io.IOException
import java.nio.FloatBuffer
import java.util.Locale
import java.util.Scanner
import java.util.SplittableRandom
import java.util.zip.GZIPInputStream

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

    fun bitsOf(v: Float): String = "0x%08x".format(java.lang.Float.floatToRawIntBits(v))

    // Any bit pattern: subnormals, huge exponents, negative zero, infinities, NaNs.
    val anyFloat = Arb.int().map { java.lang.Float.intBitsToFloat(it) }

    /** The golden file [name]: bit patterns and the tokens the JDK that wrote it printed for them. */
    class Golden(val jdk: String, val values: FloatArray, val tokens: List<String>)

    fun golden(name: String): Golden {
        val lines = GZIPInputStream(FloatTextSpec::class.java.getResourceAsStream("/float-tostring/$name")!!)
            .bufferedReader(Charsets.US_ASCII).readLines()
        val header = lines.first()
        val rows = lines.drop(1).map { it.split(' ') }
        header shouldBe "# Float.toString of JDK ${name.removePrefix("jdk").substringBefore('.')}, ${rows.size} floats: bits token"
        val values = FloatArray(rows.size) { java.lang.Float.intBitsToFloat(Integer.parseUnsignedInt(rows[it][0], 16)) }
        return Golden(header, values, rows.map { it[1] })
    }

    val jdk25 by lazy { golden("jdk25.txt.gz") }
    val jdk17 by lazy { golden("jdk17.txt.gz") }

    /** Every float where formats and algorithms have their corner cases, both signs. */
    val edgeValues: FloatArray by lazy {
        val bits = LinkedHashSet<Int>()
        bits += listOf(0, 0x7f800000, 0x7fc00000, 1, 0x00800000, 0x7f7fffff, 0x007fffff)
        for (e in -149..127) {
            val b = java.lang.Float.floatToIntBits(Math.scalb(1f, e))
            bits += listOf(b - 1, b, b + 1)
        }
        for (e in -45..38) {
            val b = java.lang.Float.floatToIntBits("1e$e".toFloat())
            for (d in -3..3) if (b + d > 0) bits += b + d
        }
        for (c in 1..2000) bits += c
        for (c in 1..200) bits += 0x800000 - c
        for (boundary in floatArrayOf(1e-3f, 1e7f, 1e-2f, 1e6f, 0.1f, 1f, 10f)) {
            val b = java.lang.Float.floatToIntBits(boundary)
            for (d in -200..200) bits += b + d
        }
        for (i in 0..1_000) bits += java.lang.Float.floatToIntBits(i.toFloat())
        for (d in -10..10) bits += java.lang.Float.floatToIntBits(16777216f) + d
        val all = bits.flatMap { listOf(it, it or Int.MIN_VALUE) }.filter { it != (0x7fc00000 or Int.MIN_VALUE) }
        FloatArray(all.size) { java.lang.Float.intBitsToFloat(all[it]) }
    }

    fun formatOne(v: Float): String {
        val buf = ByteArray(FloatText.MAX_VALUE_LENGTH)
        return String(buf, 0, FloatText.format(v, buf, 0), Charsets.US_ASCII)
    }

    test("every float of the JDK 25 golden file is formatted exactly as JDK 25's Float.toString printed it") {
        val g = jdk25
        g.values.size shouldBe 125_385
        val wrong = g.values.indices.filter { formatOne(g.values[it]) != g.tokens[it] }
            .take(10).map { "${bitsOf(g.values[it])}: JDK 25 ${g.tokens[it]}, ours ${formatOne(g.values[it])}" }
        wrong.shouldBeEmpty()
    }

    test("a variable is written as the golden tokens joined by single spaces, nothing after; format gives the same bytes") {
        val g = jdk25
        val expected = g.tokens.joinToString(" ")
        encode(g.values) shouldBe expected
        FloatText.format(FloatBuffer.wrap(g.values)).toString(Charsets.US_ASCII) shouldBe expected
    }

    test("write and format take the buffer from its position to its limit and leave the position where it was") {
        val buffer = FloatBuffer.wrap(floatArrayOf(1f, -2.5f, 3e10f, 4e-5f, 5f))
        buffer.position(1).limit(4)
        val out = ByteArrayOutputStream()
        FloatText.write(buffer, out)
        out.toString(Charsets.US_ASCII) shouldBe "-2.5 3.0E10 4.0E-5"
        FloatText.format(buffer).toString(Charsets.US_ASCII) shouldBe "-2.5 3.0E10 4.0E-5"
        buffer.position() shouldBe 1
        buffer.limit() shouldBe 4
    }

    test("the longest values fill the room maxLength reserves exactly, and format into a reused array writes just the text") {
        // 15 bytes each, one of the longest outputs
        val longest = java.lang.Float.intBitsToFloat(0x857fffff.toInt())
        formatOne(longest) shouldBe "-1.20370614E-35"
        val values = FloatArray(1_000) { longest }
        FloatText.maxLength(values.size) shouldBe 15_999L
        FloatText.maxLength(1) shouldBe 15L
        FloatText.maxLength(0) shouldBe 0L
        val expected = values.joinToString(" ") { "-1.20370614E-35" }
        FloatText.format(FloatBuffer.wrap(values)).toString(Charsets.US_ASCII) shouldBe expected

        val reused = ByteArray(20_000) { 'x'.code.toByte() }
        FloatText.format(FloatBuffer.wrap(values), reused, 3) shouldBe 3 + 15_999
        String(reused, 3, 15_999, Charsets.US_ASCII) shouldBe expected
        String(reused, 0, 3, Charsets.US_ASCII) shouldBe "xxx"
        String(reused, 3 + 15_999, reused.size - 3 - 15_999, Charsets.US_ASCII) shouldBe "x".repeat(reused.size - 3 - 15_999)
        FloatText.format(FloatBuffer.wrap(floatArrayOf(0.5f, 2f)), reused, 0) shouldBe 7
        String(reused, 0, 7, Charsets.US_ASCII) shouldBe "0.5 2.0"
        shouldThrow<IllegalArgumentException> { FloatText.format(FloatBuffer.wrap(values), reused, 4_002) }
    }

    test("on a JDK 19 or later, random floats are formatted as the running JDK's Float.toString prints them")
        .config(enabled = Runtime.version().feature() >= 19) {
            val random = SplittableRandom(19)
            val wrong = (0 until 1_000_000).map { java.lang.Float.intBitsToFloat(random.nextInt()) }
                .filter { formatOne(it) != it.toString() }.take(10).map { "${bitsOf(it)}: ${it}, ours ${formatOne(it)}" }
            wrong.shouldBeEmpty()
        }

    test("where JDK 17 printed other digits, the formatter prints no more of them, and both read back alike") {
        val old = jdk17
        old.values.size shouldBe 55_385
        var differing = 0
        for (i in old.values.indices) {
            val ours = formatOne(old.values[i])
            if (ours != old.tokens[i]) {
                differing++
                withClue("${bitsOf(old.values[i])}: JDK 17 ${old.tokens[i]}, ours $ours") {
                    ours.length shouldBeLessThanOrEqual old.tokens[i].length
                    java.lang.Float.floatToIntBits(ours.toFloat()) shouldBe java.lang.Float.floatToIntBits(old.tokens[i].toFloat())
                }
            }
        }
        // about one in ten of the random bit patterns: JDK 17 printed a digit too many for most floats of 10^7 and
        // more, and for subnormals more digits, or a one-digit decimal where a closer two-digit one exists
        differing shouldBeGreaterThan 1_000
    }

    context("the parser gives Float.parseFloat's bits, which are the written float's, for every golden token, in one or more slices") {
        withData(nameFn = { "${it.first}, ${it.second} slice(s)" }, "jdk25.txt.gz" to 1, "jdk25.txt.gz" to 4, "jdk17.txt.gz" to 1, "jdk17.txt.gz" to 3) { (name, slices) ->
            val g = golden(name)
            val bytes = g.tokens.joinToString(" ").toByteArray(Charsets.US_ASCII)
            FloatText.count(bytes) shouldBe g.values.size
            val parsed = FloatText.parse(bytes, g.values.size, name, slices)
            val wrong = g.values.indices.filter {
                java.lang.Float.floatToRawIntBits(parsed.get(it)) != java.lang.Float.floatToRawIntBits(g.tokens[it].toFloat()) ||
                    java.lang.Float.floatToIntBits(parsed.get(it)) != java.lang.Float.floatToIntBits(g.values[it])
            }.take(10).map { "${g.tokens[it]}: parsed ${bitsOf(parsed.get(it))}, written ${bitsOf(g.values[it])}" }
            wrong.shouldBeEmpty()
        }
    }

    test("the parser gives Float.parseFloat's bits for the running JDK's Float.toString of random floats") {
        val random = SplittableRandom(17)
        val values = FloatArray(300_000) {
            if (it % 2 == 0) java.lang.Float.intBitsToFloat(random.nextInt())
            else (random.nextGaussian() * Math.pow(10.0, random.nextDouble(-8.0, 9.0))).toFloat()
        }
        val tokens = values.map { it.toString() }
        val parsed = FloatText.parse(tokens.joinToString(" ").toByteArray(Charsets.US_ASCII), values.size, "jdk.txt")
        val wrong = values.indices.filter {
            java.lang.Float.floatToRawIntBits(parsed.get(it)) != java.lang.Float.floatToRawIntBits(tokens[it].toFloat()) ||
                java.lang.Float.floatToIntBits(parsed.get(it)) != java.lang.Float.floatToIntBits(values[it])
        }.take(10).map { "${tokens[it]}: parsed ${bitsOf(parsed.get(it))}" }
        wrong.shouldBeEmpty()
    }

    test("ten million random floats round-trip bitwise through the formatter and the parser") {
        val random = SplittableRandom(20240611)
        val batch = FloatArray(1_000_000)
        for (round in 0 until 10) {
            for (i in batch.indices) {
                batch[i] = when {
                    round < 6 -> java.lang.Float.intBitsToFloat(random.nextInt())
                    round < 8 -> (random.nextGaussian() * 0.05).toFloat()
                    else -> (random.nextGaussian() * Math.pow(10.0, random.nextDouble(-40.0, 38.0))).toFloat()
                }
            }
            val text = FloatText.format(FloatBuffer.wrap(batch))
            FloatText.count(text) shouldBe batch.size
            val parsed = FloatText.parse(text, batch.size, "round $round", slices = 1 + round % 3)
            val wrong = batch.indices.filter {
                java.lang.Float.floatToIntBits(parsed.get(it)) != java.lang.Float.floatToIntBits(batch[it])
            }.take(10).map { "round $round: ${bitsOf(batch[it])} ${batch[it]} read back as ${bitsOf(parsed.get(it))}" }
            wrong.shouldBeEmpty()
        }
    }

    test("edge values round-trip bitwise through ckpt's reader and KotlinDL's Scanner") {
        val values = edgeValues
        values.size shouldBeGreaterThan 10_000
        val text = encode(values)
        bits(decode(text, values.size)) shouldBe bits(values)
        bits(kotlinDlDecode(text, values.size)) shouldBe bits(values)
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

    context("named values are printed as Java prints them") {
        withData(
            nameFn = { "${it.second} (${bitsOf(it.first)})" },
            0f to "0.0", -0f to "-0.0", Float.NaN to "NaN", Float.POSITIVE_INFINITY to "Infinity",
            Float.NEGATIVE_INFINITY to "-Infinity", Float.MIN_VALUE to "1.4E-45", -Float.MIN_VALUE to "-1.4E-45",
            java.lang.Float.MIN_NORMAL to "1.1754944E-38",
            Float.MAX_VALUE to "3.4028235E38", 1f to "1.0", 100f to "100.0", 1e7f to "1.0E7", 9999999f to "9999999.0",
            1e-3f to "0.001", Math.nextDown(1e-3f) to "9.999999E-4", 0.1f to "0.1", 1e10f to "1.0E10", 1e-5f to "1.0E-5",
            1234567f to "1234567.0", 12345678f to "1.2345678E7", 0.0012345f to "0.0012345", 2e-44f to "2.0E-44",
            java.lang.Float.intBitsToFloat(21) to "2.9E-44", 16777217f to "1.6777216E7", 1.68289035E13f to "1.6828903E13",
            -123.456f to "-123.456",
        ) { (v, text) ->
            formatOne(v) shouldBe text
        }
    }

    test("an empty variable encodes to an empty file and decodes to no values") {
        encode(FloatArray(0)) shouldBe ""
        FloatText.format(FloatBuffer.allocate(0)).size shouldBe 0
        decode("", 0).size shouldBe 0
    }

    test("the reader accepts any whitespace between values, as KotlinDL's Scanner does") {
        bits(decode(" 1.5\n-2.0\t\r\n3.0E-7 ", 3)) shouldBe bits(floatArrayOf(1.5f, -2.0f, 3.0E-7f))
    }

    test("token counts and ends found eight bytes at a time agree with a byte-at-a-time scan, at any offset") {
        fun space(b: Byte) = b == ' '.code.toByte() || b == '\n'.code.toByte() || b == '\r'.code.toByte() || b == '\t'.code.toByte()
        // whitespace, look-alikes that are not whitespace here (form feed, vertical tab, NUL, 0x89 = 0x09 | 0x80,
        // 0xa0, 0x8d), and token bytes
        val alphabet = byteArrayOf(32, 10, 13, 9, 12, 11, 0, 0x89.toByte(), 0xa0.toByte(), 0x8d.toByte(), '1'.code.toByte(), '.'.code.toByte(), 'E'.code.toByte())
        val random = SplittableRandom(8)
        val wrong = mutableListOf<String>()
        repeat(2_000) {
            val text = ByteArray(random.nextInt(0, 40)) { alphabet[random.nextInt(if (random.nextBoolean()) 4 else alphabet.size)] }
            for (from in 0..text.size) {
                for (to in from..text.size) {
                    var naive = 0
                    for (i in from until to) if (!space(text[i]) && (i == from || space(text[i - 1]))) naive++
                    var end = from
                    while (end < to && !space(text[end])) end++
                    val count = TextScan.count(text, from, to)
                    val tokenEnd = TextScan.tokenEnd(text, from, to)
                    if (count != naive || tokenEnd != end) {
                        wrong += "${text.contentToString()} [$from, $to): count $count, not $naive; token end $tokenEnd, not $end"
                    }
                }
            }
        }
        wrong.take(5).shouldBeEmpty()
    }

    test("slices split at whitespace wherever long runs of it fall, and give what one slice gives") {
        val random = SplittableRandom(5)
        val seps = listOf(" ", "\n", "\r\n", "\t ", " ".repeat(300_000), "\n".repeat(70_000))
        val values = FloatArray(300_000) { (random.nextGaussian() * 0.1).toFloat() }
        val text = buildString {
            append("\n\n")
            values.forEachIndexed { i, v ->
                if (i > 0) append(if (i % 50_000 == 0) seps[4 + i / 50_000 % 2] else seps[random.nextInt(4)])
                append(v.toString())
            }
            append(" \n")
        }.toByteArray(Charsets.US_ASCII)
        FloatText.count(text) shouldBe values.size
        for (slices in listOf(1, 2, 3, 8, 64)) {
            withClue("$slices slices") { bits(FloatText.parse(text, values.size, "t", slices).array()) shouldBe bits(values) }
        }
        bits(FloatText.parse(text, values.size, "t").array()) shouldBe bits(values)
    }

    test("tokens Float.parseFloat accepts beyond what Float.toString prints are read as it reads them") {
        val tokens = listOf("1f", "2.5d", "+1.5", ".5", "1.", "1e3", "1E+3", "0x1p3", "0x1.8p-1", "-0", "+0.0", "00012.50",
            "+Infinity", "-NaN", "3.4028236E38", "1e39", "-1e-50", "1.00000017881393432617187499", "0.000000000000000000000000000000000000000000001")
        val parsed = FloatText.parse(tokens.joinToString("\n").toByteArray(Charsets.US_ASCII), tokens.size, "lenient.txt")
        parsed.array().map { java.lang.Float.floatToRawIntBits(it) } shouldBe tokens.map { java.lang.Float.floatToRawIntBits(it.toFloat()) }
    }

    test("a token that is not a float names the file and the first bad value, also when read in slices") {
        val good = FloatArray(200_000) { it * 0.25f }.joinToString(" ")
        val text = "$good 1.5 abc $good 1,5 $good".toByteArray(Charsets.US_ASCII)
        val count = FloatText.count(text)
        for (slices in listOf(1, 2, 4)) {
            shouldThrow<IOException> { FloatText.parse(text, count, "w.txt", slices) }.message shouldBe
                "w.txt: value 200002 of $count, 'abc', is not a float"
        }
        shouldThrow<IOException> { FloatText.parse("1.0 2.0".toByteArray(), 3, "short.txt") }.message shouldBe
            "short.txt: expected 3 values, found 2"
    }
})

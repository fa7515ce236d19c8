package dev.ckpt.kotlindl;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.ByteOrder;

/**
 * Writes a float as ASCII bytes exactly as {@code Float.toString} of JDK 19 and later prints it: the shortest
 * decimal that reads back to the same float (among those, the one closest to it), in Java's layout
 * ({@code 1.0E10}, {@code 1.0E-5}, {@code 0.001}, {@code 1234567.0}, {@code NaN}, {@code -Infinity}, {@code -0.0}).
 *
 * <p>The digits come from the Schubfach algorithm (Raffaello Giulietti, "The Schubfach way to render doubles",
 * 2020), implemented here for floats: for v = c·2^q, pick k so that the rounding interval of v, scaled by
 * 10^-k, spans at least one and fewer than ten integers; then the shortest decimal is either the one multiple of
 * 10 (in those units) inside the interval, or the one of the two integers around v·10^-k that lies inside it
 * (the closer one, ties to even, if both do). The scaled values are computed with one 64×64-bit multiplication
 * by a 64-bit over-approximation of 10^-k, keeping 30 to 36 fraction bits of which only whether they are all zero
 * is used ("round to odd"), so that comparisons with even integers come out as with the exact values.
 * {@code FloatFormatterCheck} in the tests compares this class with {@code Float.toString} of JDK 25 for every
 * finite float (of both signs): no differences.
 *
 * <p>The digits are laid out without a division loop: the decimal is padded to nine digits, its last eight are
 * spread into the eight bytes of a long by multiply-and-shift steps on all lanes at once (two halves of four digits,
 * then four pairs, then eight digits), the trailing zeros are counted from that long's leading zero bytes, and the
 * long is stored with one write. That write may run past the value's text: {@link #format} can leave bytes after
 * the position it returns changed, up to {@link #MAX_LENGTH} bytes after where it started; the next value, or the
 * caller, overwrites them ({@code FloatText} formats a buffer's last four values through a scratch array for that reason).
 *
 * <p>JDK 17's {@code Float.toString} (the old FloatingDecimal) prints other digits for some floats: one digit too
 * many for most floats from 2^25 (3.4E7) to 2^63 (9.2E18), e.g. {@code 1.68289035E13} for {@code 1.6828903E13}; a
 * last digit that is not the closest for some near 10^25 ({@code 9.5829186E24} for {@code 9.5829187E24}); and other
 * digits for six subnormals ({@code 1.794E-43} for {@code 1.8E-43}). Those read back to the same float too.
 */
final class FloatFormatter {
    /** The longest output, {@code -1.20370614E-35}: sign, nine digits, point, E, minus, two exponent digits. */
    static final int MAX_LENGTH = 15;

    private static final int Q_MIN = -149;
    private static final int Q_MAX = 104;
    /** The binary significand's shift before the multiplication: (4c + 2) << 37 stays below 2^63. */
    private static final int SHIFT = 37;
    /** Subnormals with c below this have fewer than two digits of precision; see {@link #TINY_DIGITS}. */
    private static final int C_TINY = 8;

    // Per binary exponent q and interval shape (index 2·(q - Q_MIN) + irregular): the decimal exponent k, the
    // 64-bit g with 10^-k ≈ g·2^(f - 63) (f = floor(log2 10^-k), g rounded up), and the fraction bits of the product.
    private static final int[] K = new int[2 * (Q_MAX - Q_MIN + 1)];
    private static final long[] G = new long[K.length];
    private static final int[] FRACTION_BITS = new int[K.length];

    // The closest two-digit decimal to c·2^-149 for subnormals with c < C_TINY: d·10^-46. The spec lets a
    // two-digit decimal win over a one-digit one when it is closer, and these need two digits to tell c apart.
    private static final int[] TINY_DIGITS = new int[C_TINY];
    private static final int TINY_EXPONENT = -46;

    private static final byte[] PAIRS = new byte[200];
    private static final int[] POW10 = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};

    /** Eight bytes at once, first byte lowest: the first digit of a group goes to the lowest address. */
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long ZEROS = 0x3030303030303030L;

    private static final byte[] NAN = ascii("NaN");
    private static final byte[] INFINITY = ascii("Infinity");
    private static final byte[] ZERO = ascii("0.0");

    static {
        for (int i = 0; i < 100; i++) {
            PAIRS[2 * i] = (byte) ('0' + i / 10);
            PAIRS[2 * i + 1] = (byte) ('0' + i % 10);
        }
        for (int q = Q_MIN; q <= Q_MAX; q++) {
            for (int irregular = 0; irregular <= 1; irregular++) {
                // The rounding interval has length 2^q (regular) or 3/4·2^q (irregular: c = 2^23 above the
                // smallest exponent, where the gap below v is half the gap above). k is the largest with
                // 10^k <= that length, so the interval in units of 10^k has length in [1, 10).
                int k = irregular == 0 ? floorLog10(BigInteger.ONE, q) : floorLog10(BigInteger.valueOf(3), q - 2);
                int f = floorLog2OfPow10(-k);
                int i = 2 * (q - Q_MIN) + irregular;
                K[i] = k;
                G[i] = gOf(-k, f);
                // g·(cp << SHIFT) / 2^64 = cp·2^q·10^-k · 2^(SHIFT - 1 - q - f)
                FRACTION_BITS[i] = SHIFT - 1 - q - f;
                if (FRACTION_BITS[i] < 30 || FRACTION_BITS[i] > 36) {
                    throw new AssertionError("fraction bits " + FRACTION_BITS[i] + " at q=" + q);
                }
            }
        }
        BigDecimal minValue = new BigDecimal(BigInteger.ONE).divide(new BigDecimal(BigInteger.ONE.shiftLeft(149)));
        for (int c = 1; c < C_TINY; c++) {
            BigDecimal v = minValue.multiply(BigDecimal.valueOf(c)).round(new MathContext(2, RoundingMode.HALF_EVEN));
            // v = d·10^-46 with two digits d for every c in 1..7 (1.4E-45 .. 9.8E-45)
            TINY_DIGITS[c] = v.movePointRight(-TINY_EXPONENT).intValueExact();
        }
    }

    private FloatFormatter() {
    }

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    /** The largest k with 10^k <= a·2^p. */
    private static int floorLog10(BigInteger a, int p) {
        int k = (int) Math.floor((Math.log10(a.doubleValue()) + p * Math.log10(2)));
        while (!pow10AtMost(k, a, p)) {
            k--;
        }
        while (pow10AtMost(k + 1, a, p)) {
            k++;
        }
        return k;
    }

    /** Whether 10^k <= a·2^p, exactly. */
    private static boolean pow10AtMost(int k, BigInteger a, int p) {
        BigInteger left = BigInteger.TEN.pow(Math.max(k, 0)).shiftLeft(Math.max(-p, 0));
        BigInteger right = a.multiply(BigInteger.TEN.pow(Math.max(-k, 0))).shiftLeft(Math.max(p, 0));
        return left.compareTo(right) <= 0;
    }

    /** floor(log2(10^e)), exactly. */
    private static int floorLog2OfPow10(int e) {
        if (e >= 0) {
            return BigInteger.TEN.pow(e).bitLength() - 1;
        }
        // 2^f <= 10^e < 2^(f+1) with 10^-e not a power of two: f = -ceil(log2 10^-e) = -bitLength(10^-e)
        return -BigInteger.TEN.pow(-e).bitLength();
    }

    /** floor(10^e · 2^(63 - f)) + 1, in [2^63, 2^64), as an unsigned long. */
    private static long gOf(int e, int f) {
        BigInteger g;
        if (e >= 0) {
            BigInteger p = BigInteger.TEN.pow(e);
            g = 63 - f >= 0 ? p.shiftLeft(63 - f) : p.shiftRight(f - 63);
        } else {
            g = BigInteger.ONE.shiftLeft(63 - f).divide(BigInteger.TEN.pow(-e));
        }
        g = g.add(BigInteger.ONE);
        if (g.bitLength() != 64) {
            throw new AssertionError("g out of range for 10^" + e);
        }
        return g.longValue();
    }

    /**
     * The scaled value cp·2^q·10^-k rounded to odd: its integer part, with the lowest bit set if the fraction is
     * not zero. y is cp << SHIFT; g has its top bit set, so the unsigned high product is the signed one plus y.
     */
    private static long roundToOdd(long g, long y, int fractionBits) {
        long h = Math.multiplyHigh(g, y) + y;
        long mask = (1L << fractionBits) - 1;
        return (h >>> fractionBits) | ((h & mask) + mask >>> fractionBits);
    }

    /**
     * Writes {@code Float.toString(v)} (JDK 19+) into {@code out} at {@code pos} and returns the position after it.
     * It writes {@link #MAX_LENGTH} bytes at most, and may change bytes after the returned position up to
     * {@code pos + MAX_LENGTH}: {@code out} needs that room even for a short value.
     */
    static int format(float v, byte[] out, int pos) {
        int bits = Float.floatToRawIntBits(v);
        int t = bits & 0x7FFFFF;
        int be = (bits >>> 23) & 0xFF;
        if (be == 0xFF) {
            if (t != 0) {
                return put(NAN, out, pos);
            }
            if (bits < 0) {
                out[pos++] = '-';
            }
            return put(INFINITY, out, pos);
        }
        // a minus sign that the next byte overwrites when there is none: the sign of a weight is a coin toss
        out[pos] = '-';
        pos += bits >>> 31;
        if (be == 0) {
            if (t == 0) {
                return put(ZERO, out, pos);
            }
            if (t < C_TINY) {
                return layout(TINY_DIGITS[t], TINY_EXPONENT, out, pos);
            }
            return shortest(t, Q_MIN, 0, out, pos);
        }
        int irregular = t == 0 && be > 1 ? 1 : 0;
        return shortest(t | 0x800000, be - 150, irregular, out, pos);
    }

    private static int put(byte[] text, byte[] out, int pos) {
        System.arraycopy(text, 0, out, pos, text.length);
        return pos + text.length;
    }

    /** The Schubfach digit selection for v = c·2^q, then the layout. */
    private static int shortest(int c, int q, int irregular, byte[] out, int pos) {
        int i = 2 * (q - Q_MIN) + irregular;
        int fb = FRACTION_BITS[i];
        long g = G[i];
        long y = (long) c << (SHIFT + 2);
        long half = 2L << SHIFT;
        // The rounding interval [u, w] in units of 10^k/4; it includes its ends when c is even.
        long vb = roundToOdd(g, y, fb);
        long vbl = roundToOdd(g, y - (half >>> irregular), fb);
        long vbr = roundToOdd(g, y + half, fb);
        long lower = vbl + (c & 1);
        long upper = vbr - (c & 1);
        // Of s and t around v, the ones inside the interval; with both, the closer to v, ties to the even one. Then,
        // if exactly one of the multiples of 10 around s lies inside (a shorter decimal), it wins; with s < 100 it
        // would have a single digit, and a closer two-digit decimal wins. Which one wins is close to random from one
        // weight to the next, so each test is a sign bit (1 when true) and the choices are masks, not branches.
        long s = vb >> 2;
        long t = s + 1;
        long uin = ~((s << 2) - lower) >>> 63;
        long win = ~(upper - (t << 2)) >>> 63;
        long tie = -(vb - ((s + t) << 1) + (s & 1)) >>> 63;
        long x = uin ^ win;
        long d = s + ((x & win) | ((x ^ 1) & tie));
        long sp10 = s / 10 * 10;
        long upin = ~((sp10 << 2) - lower) >>> 63;
        long wpin = ~(upper - ((sp10 + 10) << 2)) >>> 63;
        long use = -((upin ^ wpin) & (~(s - 100) >>> 63));
        long shorter = sp10 + 10 - 10 * upin;
        d = (d & ~use) | (shorter & use);
        return layout((int) d, K[i], out, pos);
    }

    /**
     * Writes f·10^k (0 < f < 10^9) in Java's layout. With n the digits of f, the value is 0.d1..dn·10^e, e = k + n;
     * f padded to nine digits (h, then the eight of l) keeps e, and its trailing zeros are zeros of the padding or
     * of f alike, so the digits to print are the nine without their trailing zeros (at least one).
     */
    private static int layout(int f, int k, byte[] out, int pos) {
        int n = digitCount(f);
        int e = k + n;
        int padded = f * POW10[9 - n];
        int h = padded / 100_000_000;
        long l = eightDigits(padded - h * 100_000_000);
        // digits after the first one that are printed: the eight without their trailing zeros
        int rest = 8 - (Long.numberOfLeadingZeros(l) >>> 3);
        long ascii = l + ZEROS;
        byte first = (byte) ('0' + h);
        if (-3 < e && e <= 0) {
            return fraction(first, ascii, rest, e, out, pos);
        }
        if (0 < e && e <= 7) {
            return plain(first, ascii, rest, e, out, pos);
        }
        return scientific(first, ascii, rest, e, out, pos);
    }

    /** 0.001 <= v < 1: "0.", -e zeros (at most two), the digits. */
    private static int fraction(byte first, long ascii, int rest, int e, byte[] out, int pos) {
        LONGS.set(out, pos, ZEROS & ~0xFF00L | (long) '.' << 8);
        int start = pos + 2 - e;
        out[start] = first;
        LONGS.set(out, start + 1, ascii);
        return start + 1 + rest;
    }

    /** 1 <= v < 10^7: e digits, the point, then the other digits, or a 0 if none is left. */
    private static int plain(byte first, long ascii, int rest, int e, byte[] out, int pos) {
        long all = (ascii << 8) | (first & 0xFF); // digits 1 to 8 of nine
        long low = -1L >>> (64 - 8 * e); // e <= 7: the integer part's bytes
        LONGS.set(out, pos, (all & low) | ((long) '.' << (8 * e)) | ((all & ~low) << 8));
        out[pos + 8] = (byte) (ascii >>> 48);
        out[pos + 9] = (byte) (ascii >>> 56);
        return pos + Math.max(rest + 1, e + 1) + 1;
    }

    /** d.ddddEx, with at least one digit after the point. */
    private static int scientific(byte first, long ascii, int rest, int e, byte[] out, int pos) {
        out[pos] = first;
        out[pos + 1] = '.';
        LONGS.set(out, pos + 2, ascii);
        int p = pos + 2 + Math.max(rest, 1);
        out[p++] = 'E';
        int x = e - 1;
        if (x < 0) {
            out[p++] = '-';
            x = -x;
        }
        if (x >= 10) {
            out[p] = PAIRS[2 * x];
            out[p + 1] = PAIRS[2 * x + 1];
            return p + 2;
        }
        out[p] = (byte) ('0' + x);
        return p + 1;
    }

    /**
     * The eight decimal digits of 0 <= v < 10^8, one a byte, the first in the lowest byte. Each step works on all
     * lanes at once: two lanes of 32 bits hold four digits each, then four of 16 bits two each, then eight of 8 bits
     * one each. The quotients are multiply-and-shift: x·10486 >>> 20 = x / 100 for x < 10^4, and x·103 >>> 10 =
     * x / 10 for x < 100, with no lane overflowing into the next.
     */
    private static long eightDigits(int v) {
        int high = v / 10_000;
        long fours = high | (long) (v - high * 10_000) << 32;
        long hundreds = (fours * 10486 >>> 20) & 0x0000007F_0000007FL;
        long pairs = hundreds | (fours - hundreds * 100) << 16;
        long tens = (pairs * 103 >>> 10) & 0x000F_000F_000F_000FL;
        return tens | (pairs - tens * 10) << 8;
    }

    /** The number of decimal digits of f > 0. */
    private static int digitCount(int f) {
        int guess = (32 - Integer.numberOfLeadingZeros(f)) * 1233 >>> 12; // floor(bits · log10 2), n - 1 or n
        return guess + (f >= POW10[guess] ? 1 : 0);
    }
}

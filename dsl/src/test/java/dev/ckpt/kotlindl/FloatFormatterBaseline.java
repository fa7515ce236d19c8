package dev.ckpt.kotlindl;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * The writer's formatter as it was before issue 21 (2026-12): the same Schubfach digit selection as
 * {@link FloatFormatter}, but with the digits laid out by division (trailing zeros stripped one {@code % 10} at a
 * time, two digits per {@code / 100}, the integer part moved byte by byte to make room for the point). Kept, unchanged,
 * only as the baseline column of {@code FloatWriterBenchmark}; nothing in ckpt calls it.
 */
final class FloatFormatterBaseline {
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

    private FloatFormatterBaseline() {
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
     * At most {@link #MAX_LENGTH} bytes are written.
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
        if (bits < 0) {
            out[pos++] = '-';
        }
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
        int k = K[i];
        long g = G[i];
        int fb = FRACTION_BITS[i];
        long y = (long) c << (SHIFT + 2);
        long half = 2L << SHIFT;
        // The rounding interval [u, w] in units of 10^k/4; it includes its ends when c is even.
        long vb = roundToOdd(g, y, fb);
        long vbl = roundToOdd(g, irregular == 0 ? y - half : y - (half >>> 1), fb);
        long vbr = roundToOdd(g, y + half, fb);
        int out1 = c & 1;
        long s = vb >> 2;
        if (s >= 100) {
            // At most one multiple of 10 (a shorter decimal) lies in the interval. With s < 100 it would have a
            // single digit, and then a closer two-digit decimal wins; the s/t step below finds that one.
            long sp10 = 10 * (s / 10);
            long tp10 = sp10 + 10;
            boolean upin = vbl + out1 <= sp10 << 2;
            boolean wpin = (tp10 << 2) + out1 <= vbr;
            if (upin != wpin) {
                return layout((int) (upin ? sp10 : tp10), k, out, pos);
            }
        }
        long tt = s + 1;
        boolean uin = vbl + out1 <= s << 2;
        boolean win = (tt << 2) + out1 <= vbr;
        if (uin != win) {
            return layout((int) (uin ? s : tt), k, out, pos);
        }
        // Both in the interval: the closer to v, ties to the even one.
        long cmp = vb - ((s + tt) << 1);
        return layout((int) (cmp < 0 || cmp == 0 && (s & 1) == 0 ? s : tt), k, out, pos);
    }

    /** Writes f·10^k (f > 0) in Java's layout. */
    private static int layout(int f, int k, byte[] out, int pos) {
        while (f % 10 == 0) {
            f /= 10;
            k++;
        }
        int n = digitCount(f);
        int e = k + n; // v = 0.d1..dn · 10^e
        if (0 < e && e <= 7) {
            if (n <= e) {
                // an integer: the digits, zeros, ".0"
                digits(f, out, pos + n);
                int end = pos + e;
                for (int j = pos + n; j < end; j++) {
                    out[j] = '0';
                }
                out[end] = '.';
                out[end + 1] = '0';
                return end + 2;
            }
            // the digits one place to the right, then the integer part moved back over the gap for the point
            digits(f, out, pos + n + 1);
            for (int j = pos; j < pos + e; j++) {
                out[j] = out[j + 1];
            }
            out[pos + e] = '.';
            return pos + n + 1;
        }
        if (-3 < e && e <= 0) {
            // 0.001 <= v < 1: "0.", -e zeros, the digits
            out[pos] = '0';
            out[pos + 1] = '.';
            int start = pos + 2 - e;
            for (int j = pos + 2; j < start; j++) {
                out[j] = '0';
            }
            digits(f, out, start + n);
            return start + n;
        }
        // d.ddddEx, with at least one digit after the point
        digits(f, out, pos + n + 1);
        out[pos] = out[pos + 1];
        out[pos + 1] = '.';
        int p = pos + n + 1;
        if (n == 1) {
            out[p++] = '0';
        }
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

    /** The number of decimal digits of f > 0. */
    private static int digitCount(int f) {
        int guess = (32 - Integer.numberOfLeadingZeros(f)) * 1233 >>> 12; // floor(bits · log10 2), n - 1 or n
        return guess + (f >= POW10[guess] ? 1 : 0);
    }

    /** Writes the decimal digits of f > 0 so that they end just before {@code end}. */
    private static void digits(int f, byte[] out, int end) {
        int j = end;
        while (f >= 100) {
            int q = f / 100;
            int r = f - 100 * q;
            out[--j] = PAIRS[2 * r + 1];
            out[--j] = PAIRS[2 * r];
            f = q;
        }
        if (f >= 10) {
            out[j - 1] = PAIRS[2 * f + 1];
            out[j - 2] = PAIRS[2 * f];
        } else {
            out[j - 1] = (byte) ('0' + f);
        }
    }
}

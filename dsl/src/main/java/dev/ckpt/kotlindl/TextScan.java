package dev.ckpt.kotlindl;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Finds whitespace-separated tokens in ASCII bytes eight bytes at a time. Whitespace is exactly what the reader
 * always split on: space, tab, line feed and carriage return.
 *
 * <p>A byte-at-a-time loop costs about a branch misprediction per token; here a word of eight bytes gives a mask
 * with the high bit of each whitespace byte set: byte b is whitespace if b ^ s is zero for one of the four s, and
 * y is zero exactly when neither ((y & 0x7f) + 0x7f) nor y has the high bit set (the sum stays within its byte).
 */
final class TextScan {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long LOW7 = 0x7f7f7f7f7f7f7f7fL;
    private static final long HIGH = 0x8080808080808080L;
    private static final long SPACES = 0x2020202020202020L;
    private static final long TABS = 0x0909090909090909L;
    private static final long LINE_FEEDS = 0x0a0a0a0a0a0a0a0aL;
    private static final long RETURNS = 0x0d0d0d0d0d0d0d0dL;

    private TextScan() {
    }

    static boolean isSpace(byte b) {
        return b <= ' ' && (b == ' ' || b == '\n' || b == '\r' || b == '\t');
    }

    /** The high bit of every byte that is not zero. */
    private static long nonZero(long y) {
        return ((y & LOW7) + LOW7 | y) & HIGH;
    }

    /** The high bit of every whitespace byte of the little-endian word x. */
    private static long spaceMask(long x) {
        return ~(nonZero(x ^ SPACES) & nonZero(x ^ TABS) & nonZero(x ^ LINE_FEEDS) & nonZero(x ^ RETURNS)) & HIGH;
    }

    /** The number of tokens in bytes[from, to), a token starting where a non-space follows a space or from. */
    static int count(byte[] bytes, int from, int to) {
        int count = 0;
        long previousSpace = 0x80; // the high bit of the byte before from, counted as whitespace
        int i = from;
        for (; i + 8 <= to; i += 8) {
            long spaces = spaceMask((long) LONGS.get(bytes, i));
            long starts = ~spaces & HIGH & (spaces << 8 | previousSpace);
            count += Long.bitCount(starts);
            previousSpace = spaces >>> 56;
        }
        boolean inToken = previousSpace == 0;
        for (; i < to; i++) {
            boolean space = isSpace(bytes[i]);
            if (!space && !inToken) {
                count++;
            }
            inToken = !space;
        }
        return count;
    }

    /** The index of the first whitespace byte at or after i, or to if there is none before it. */
    static int tokenEnd(byte[] bytes, int i, int to) {
        for (; i + 8 <= to; i += 8) {
            long spaces = spaceMask((long) LONGS.get(bytes, i));
            if (spaces != 0) {
                return i + (Long.numberOfTrailingZeros(spaces) >>> 3);
            }
        }
        while (i < to && !isSpace(bytes[i])) {
            i++;
        }
        return i;
    }
}

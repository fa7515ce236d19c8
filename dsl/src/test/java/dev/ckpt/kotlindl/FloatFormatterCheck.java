package dev.ckpt.kotlindl;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Compares {@link FloatFormatter} with {@code Float.toString} for every float (both signs; NaN once). Not a
 * unit test: it takes minutes, and it needs a JDK 19+ (whose {@code Float.toString} is the specification), e.g.
 * <pre>
 * mvn -o -B -q -pl dsl test-compile
 * /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -cp dsl/target/classes:dsl/target/test-classes \
 *     dev.ckpt.kotlindl.FloatFormatterCheck [THREADS]
 * </pre>
 * It prints the first mismatches and the totals, and exits with status 1 if any float differs.
 */
final class FloatFormatterCheck {
    private FloatFormatterCheck() {
    }

    public static void main(String[] args) throws InterruptedException {
        if (Runtime.version().feature() < 19) {
            System.err.println("needs JDK 19+: JDK " + Runtime.version() + "'s Float.toString is not the shortest");
            System.exit(2);
        }
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : Runtime.getRuntime().availableProcessors();
        AtomicLong mismatches = new AtomicLong();
        AtomicLong checked = new AtomicLong();
        long start = System.nanoTime();
        Thread[] workers = new Thread[threads];
        for (int w = 0; w < threads; w++) {
            int worker = w;
            workers[w] = new Thread(() -> {
                byte[] buf = new byte[FloatFormatter.MAX_LENGTH];
                long n = 0;
                // bit patterns with the sign bit clear, split in 256 slices handed out round robin
                for (int slice = worker; slice < 256; slice += threads) {
                    int from = slice << 23;
                    for (int j = 0; j < 1 << 23; j++) {
                        int bits = from + j; // the last slice ends at 0x7fffffff, so no bits < to
                        float v = Float.intBitsToFloat(bits);
                        if (Float.isNaN(v) && bits != 0x7fc00000) {
                            continue;
                        }
                        for (int sign = 0; sign < 2; sign++) {
                            float x = sign == 0 ? v : -v;
                            int len = FloatFormatter.format(x, buf, 0);
                            String expected = Float.toString(x);
                            n++;
                            if (!sameAscii(expected, buf, len)) {
                                if (mismatches.incrementAndGet() <= 20) {
                                    System.out.println("0x" + Integer.toHexString(Float.floatToRawIntBits(x)) + ": expected "
                                        + expected + ", got " + new String(buf, 0, len, StandardCharsets.US_ASCII));
                                }
                            }
                        }
                    }
                    if (worker == 0) {
                        System.out.printf("slice %d/256, %.0f s%n", slice + 1, (System.nanoTime() - start) / 1e9);
                    }
                }
                checked.addAndGet(n);
            });
            workers[w].start();
        }
        for (Thread t : workers) {
            t.join();
        }
        System.out.printf("checked %d floats in %.0f s on JDK %s: %d mismatches%n", checked.get(),
            (System.nanoTime() - start) / 1e9, Runtime.version(), mismatches.get());
        System.exit(mismatches.get() == 0 ? 0 : 1);
    }

    private static boolean sameAscii(String s, byte[] b, int len) {
        if (s.length() != len) {
            return false;
        }
        for (int i = 0; i < len; i++) {
            if (s.charAt(i) != b[i]) {
                return false;
            }
        }
        return true;
    }
}

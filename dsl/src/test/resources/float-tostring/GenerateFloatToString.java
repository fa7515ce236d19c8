import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Random;
import java.util.Set;
import java.util.zip.GZIPOutputStream;

/**
 * Writes the golden Float.toString outputs that FloatTextSpec compares ckpt's formatter and parser with: one line
 * per float, its bits in hex and Float.toString of it, gzipped. Run it with the JDK whose Float.toString is wanted:
 *
 * <pre>
 * cd dsl/src/test/resources/float-tostring
 * /usr/lib/jvm/temurin-25-jdk-amd64/bin/java GenerateFloatToString.java jdk25.txt.gz         # the specification (JDK 19+)
 * /usr/lib/jvm/java-17-openjdk-amd64/bin/java GenerateFloatToString.java jdk17.txt.gz 30000  # what older checkpoints hold
 * </pre>
 *
 * The floats: zeros, infinities, NaN, MIN_VALUE, MIN_NORMAL, MAX_VALUE; every power of two with its neighbours; the
 * floats nearest every power of ten and two neighbours each side; the smallest 1000 subnormals and the largest 100;
 * 100 floats each side of 1e-3 and 1e7 (where the layout changes); the same negated; then 100,000 (or the second argument) bit patterns from
 * java.util.Random (whose sequence the Java specification fixes) with seed 20240611, and 20,000 "weights" (Gaussian
 * times 10^[-6, 2)) from seed 42. The first line says which JDK wrote the file and how many floats follow.
 */
public final class GenerateFloatToString {
    public static void main(String[] args) throws IOException {
        Set<Integer> edge = new LinkedHashSet<>();
        edge.add(0);
        edge.add(0x7f800000); // +Infinity
        edge.add(0x7fc00000); // NaN
        edge.add(Float.floatToIntBits(Float.MIN_VALUE));
        edge.add(Float.floatToIntBits(Float.MIN_NORMAL));
        edge.add(Float.floatToIntBits(Float.MAX_VALUE));
        for (int e = -149; e <= 127; e++) {
            int bits = Float.floatToIntBits(Math.scalb(1f, e));
            for (int d = -1; d <= 1; d++) {
                edge.add(bits + d);
            }
        }
        for (int e = -45; e <= 38; e++) {
            int bits = Float.floatToIntBits(Float.parseFloat("1e" + e));
            for (int d = -2; d <= 2; d++) {
                if (bits + d > 0) {
                    edge.add(bits + d);
                }
            }
        }
        for (int c = 1; c <= 1000; c++) {
            edge.add(c);
        }
        for (int c = 1; c <= 100; c++) {
            edge.add(0x800000 - c);
        }
        for (float boundary : new float[] {1e-3f, 1e7f}) {
            int bits = Float.floatToIntBits(boundary);
            for (int d = -100; d <= 100; d++) {
                edge.add(bits + d);
            }
        }
        Set<Integer> all = new LinkedHashSet<>();
        for (int bits : edge) {
            all.add(bits);
            all.add(bits | 0x80000000);
        }
        all.remove(0xffc00000); // one NaN is enough
        Random random = new Random(20240611);
        int[] randomBits = new int[args.length > 1 ? Integer.parseInt(args[1]) : 100_000];
        for (int i = 0; i < randomBits.length; i++) {
            randomBits[i] = random.nextInt();
        }
        Random weights = new Random(42);
        float[] weightValues = new float[20_000];
        for (int i = 0; i < weightValues.length; i++) {
            weightValues[i] = (float) (weights.nextGaussian() * Math.pow(10, -6 + 8 * weights.nextDouble()));
        }
        int total = all.size() + randomBits.length + weightValues.length;
        try (Writer out = new BufferedWriter(new OutputStreamWriter(
                new GZIPOutputStream(Files.newOutputStream(Path.of(args[0]))), StandardCharsets.US_ASCII))) {
            out.write("# Float.toString of JDK " + Runtime.version().feature() + ", " + total + " floats: bits token\n");
            for (int bits : all) {
                line(out, bits);
            }
            for (int bits : randomBits) {
                line(out, bits);
            }
            for (float v : weightValues) {
                line(out, Float.floatToRawIntBits(v));
            }
        }
    }

    private static void line(Writer out, int bits) throws IOException {
        out.write(String.format("%08x %s%n", bits, Float.toString(Float.intBitsToFloat(bits))));
    }
}

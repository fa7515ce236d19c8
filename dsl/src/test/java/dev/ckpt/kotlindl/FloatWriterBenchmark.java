package dev.ckpt.kotlindl;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The variable files' float writer, ns per float, in one JMH run: the formatter before issue 21
 * ({@link FloatFormatterBaseline}), today's {@link FloatFormatter}, the JDK's {@code Float.toString} plus its
 * Latin-1 bytes (a JDK 19+ prints the same text), and a raw {@code putFloat} copy of the same values as the floor
 * (4 bytes a value, no text). Each formats the same {@value #COUNT} values into one reused array, separated by
 * spaces, as {@code FloatText.format} does. Not a test. Run from the repository root:
 *
 * <pre>
 * mvn -B -q -pl dsl -am test-compile exec:exec -DskipBenchmarks=false \
 *     -Dexec.mainClass=dev.ckpt.kotlindl.FloatWriterBenchmark -Dbench.args="-f 1 -wi 3 -i 5"
 * </pre>
 *
 * <p>The forked benchmark JVM is a JDK 19+ when one is found, so that the JDK column prints the same text: the
 * {@code ckpt.bench.jdk} system property (a JDK home), else the newest {@code /usr/lib/jvm/*} whose {@code release}
 * file says 19 or later. The launcher prints which. {@code -Dbench.args="jdk=current ..."} (or no JDK 19+ found)
 * runs on the launching JVM instead and leaves the JDK column out, saying why. The other arguments are JMH's.
 * Data: {@code weights}, Gaussian with σ = 0.05 like trained dense layers, and {@code any-bits}, random bit
 * patterns (every exponent), NaN excluded.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class FloatWriterBenchmark {
    static final int COUNT = 65_536;

    @Param({"weights", "any-bits"})
    public String data;

    private float[] values;
    private byte[] out;
    private ByteBuffer floor;

    @Setup
    public void setUp() {
        values = data.equals("weights") ? weights(COUNT) : anyBits(COUNT);
        out = new byte[COUNT * (FloatFormatter.MAX_LENGTH + 1)];
        floor = ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN);
        // The columns must print the same text, or the comparison means nothing.
        byte[] expected = new byte[out.length];
        int end = baseline();
        System.arraycopy(out, 0, expected, 0, end);
        if (writer() != end || !java.util.Arrays.equals(out, 0, end, expected, 0, end)) {
            throw new IllegalStateException("FloatFormatter and FloatFormatterBaseline print different text for " + data);
        }
        if (Runtime.version().feature() >= 19 && (jdk() != end || !java.util.Arrays.equals(out, 0, end, expected, 0, end))) {
            throw new IllegalStateException("Float.toString of JDK " + Runtime.version() + " prints other text for " + data);
        }
    }

    static float[] weights(int n) {
        SplittableRandom random = new SplittableRandom(1);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (random.nextGaussian() * 0.05);
        }
        return v;
    }

    static float[] anyBits(int n) {
        SplittableRandom random = new SplittableRandom(2);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            float x;
            do {
                x = Float.intBitsToFloat(random.nextInt());
            } while (Float.isNaN(x));
            v[i] = x;
        }
        return v;
    }

    /** The formatter before issue 21. */
    @Benchmark
    @OperationsPerInvocation(COUNT)
    public int baseline() {
        float[] v = values;
        byte[] o = out;
        int p = FloatFormatterBaseline.format(v[0], o, 0);
        for (int i = 1; i < v.length; i++) {
            o[p++] = ' ';
            p = FloatFormatterBaseline.format(v[i], o, p);
        }
        return p;
    }

    /** Today's formatter, as {@code FloatText.format} calls it. */
    @Benchmark
    @OperationsPerInvocation(COUNT)
    public int writer() {
        float[] v = values;
        byte[] o = out;
        int p = FloatFormatter.format(v[0], o, 0);
        for (int i = 1; i < v.length; i++) {
            o[p++] = ' ';
            p = FloatFormatter.format(v[i], o, p);
        }
        return p;
    }

    /** The running JDK's {@code Float.toString}, then its chars as bytes (Latin-1, one byte a char). */
    @Benchmark
    @OperationsPerInvocation(COUNT)
    @SuppressWarnings("deprecation") // getBytes(int, int, byte[], int): the one encoding into an array that allocates nothing
    public int jdk() {
        float[] v = values;
        byte[] o = out;
        int p = 0;
        for (int i = 0; i < v.length; i++) {
            if (i > 0) {
                o[p++] = ' ';
            }
            String s = Float.toString(v[i]);
            s.getBytes(0, s.length(), o, p);
            p += s.length();
        }
        return p;
    }

    /** The floor: the same values copied as raw 4-byte floats, no text. */
    @Benchmark
    @OperationsPerInvocation(COUNT)
    public int putFloat() {
        float[] v = values;
        ByteBuffer b = floor;
        for (int i = 0; i < v.length; i++) {
            b.putFloat(4 * i, v[i]);
        }
        return 4 * v.length;
    }

    /** Runs the benchmark (see the class comment) and prints each column's ratio to the others. */
    public static void main(String[] args) throws RunnerException, CommandLineOptionException, IOException {
        List<String> jmhArgs = new ArrayList<>();
        boolean current = false;
        for (String a : args) {
            if (a.equals("jdk=current")) {
                current = true;
            } else {
                jmhArgs.add(a);
            }
        }
        ChainedOptionsBuilder options = new OptionsBuilder()
                .parent(new CommandLineOptions(jmhArgs.toArray(new String[0])))
                .include(FloatWriterBenchmark.class.getName() + "\\.");
        String jvm = null;
        Optional<Path> jdk = current ? Optional.empty() : newJdk();
        if (jdk.isPresent()) {
            jvm = jdk.get().resolve("bin/java").toString();
            options.jvm(jvm);
            System.out.println("benchmark JVM: " + jdk.get() + " (JDK " + releaseVersion(jdk.get()).orElse("?") + ")");
        } else {
            String why = current
                    ? "jdk=current was asked for"
                    : "no JDK 19+ found (ckpt.bench.jdk unset, none in /usr/lib/jvm)";
            if (Runtime.version().feature() < 19) {
                options.exclude(FloatWriterBenchmark.class.getName() + "\\.jdk$");
                System.out.println("benchmark JVM: the launching JVM, JDK " + Runtime.version() + "; the jdk column is "
                        + "skipped: " + why + ", and JDK " + Runtime.version().feature()
                        + "'s Float.toString prints other digits for some floats (not the same text)");
            } else {
                System.out.println("benchmark JVM: the launching JVM, JDK " + Runtime.version() + " (" + why + ")");
            }
        }
        System.out.println("CPU: " + cpuModel() + "; " + Runtime.getRuntime().availableProcessors() + " processors");
        Map<String, Map<String, Double>> byData = new LinkedHashMap<>();
        for (RunResult r : new Runner(options.build()).run()) {
            String method = r.getParams().getBenchmark();
            method = method.substring(method.lastIndexOf('.') + 1);
            byData.computeIfAbsent(r.getParams().getParam("data"), k -> new LinkedHashMap<>())
                    .put(method, r.getPrimaryResult().getScore());
        }
        System.out.println();
        System.out.println("ns per float" + (jvm == null ? "" : " on " + jvm) + "; ratios of the means");
        for (Map.Entry<String, Map<String, Double>> e : byData.entrySet()) {
            Map<String, Double> ns = e.getValue();
            double base = ns.get("baseline");
            double floorNs = ns.get("putFloat");
            System.out.println(e.getKey() + ":");
            for (Map.Entry<String, Double> c : ns.entrySet()) {
                System.out.printf("  %-9s %7.2f ns   %5.2fx faster than baseline   %6.1fx the putFloat floor%n",
                        c.getKey(), c.getValue(), base / c.getValue(), c.getValue() / floorNs);
            }
            if (ns.containsKey("jdk")) {
                System.out.printf("  writer vs jdk: %.2fx faster%n", ns.get("jdk") / ns.get("writer"));
            }
        }
    }

    private static Optional<Path> newJdk() throws IOException {
        String asked = System.getProperty("ckpt.bench.jdk");
        if (asked != null) {
            return Optional.of(Path.of(asked));
        }
        Path dir = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(dir)) {
            return Optional.empty();
        }
        try (Stream<Path> homes = Files.list(dir)) {
            return homes.filter(h -> Files.isExecutable(h.resolve("bin/java")))
                    .filter(h -> feature(h) >= 19)
                    .max(Comparator.comparingInt(FloatWriterBenchmark::feature));
        }
    }

    private static int feature(Path home) {
        return releaseVersion(home).map(v -> Integer.parseInt(v.split("[.+-]")[0])).orElse(0);
    }

    /** JAVA_VERSION from a JDK's release file. */
    private static Optional<String> releaseVersion(Path home) {
        try (Stream<String> lines = Files.lines(home.resolve("release"))) {
            return lines.filter(l -> l.startsWith("JAVA_VERSION="))
                    .map(l -> l.substring("JAVA_VERSION=".length()).replace("\"", ""))
                    .findFirst();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }
}

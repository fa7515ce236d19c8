package dev.ckpt;

import dev.ckpt.kotlindl.Digits;
import dev.ckpt.kotlindl.ModelSnapshot;
import dev.ckpt.kotlindl.SnapshotBuffers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jetbrains.kotlinx.dl.api.core.Sequential;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * What a save point's phase timers cost: the {@code System.nanoTime} calls and the {@code dev.ckpt.SavePoint} JFR
 * event (created, begun, filled and committed, with no recording enabling it, as in production), against the save
 * point's own work, the snapshot of the digits MLP's 14 variables (one session run, the copy into reused arrays).
 * Run from the repository root:
 *
 * <pre>
 * mvn -B -q -pl dsl -am test-compile exec:exec -DskipBenchmarks=false -Dexec.mainClass=dev.ckpt.SavePointTimerBenchmark \
 *     -Dbench.args="-f 1 -wi 3 -i 5 -w 2 -r 2"
 * </pre>
 *
 * Its main takes JMH's options, runs the three methods in one JMH run and prints them as a table, with the machine,
 * the JDK, the date and the load average, and the ratio.
 *
 * {@code timers} repeats what {@code TrainingSession.savePoint} and {@code save} do besides their work: five
 * {@code nanoTime} calls around deciding, snapshotting and the hand-off, the three in {@code readVariables} around
 * the session run and the copy, and the event. {@code snapshot} is the snapshot alone (its three timers included);
 * {@code snapshotWithTimers} both. The overhead as a ratio is {@code timers / snapshot}: the difference of the other
 * two is smaller than their error.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SavePointTimerBenchmark {
    private Sequential model;
    private String config;
    private final SnapshotBuffers buffers = new SnapshotBuffers();

    @Setup(Level.Trial)
    public void train() {
        model = Digits.INSTANCE.newCompiledModel(32);
        model.fit(Digits.INSTANCE.train(), 1, 32, java.util.List.of());
        config = ModelSnapshot.Companion.configurationOf(model);
    }

    @TearDown(Level.Trial)
    public void close() {
        model.close();
    }

    @Benchmark
    public void timers(Blackhole bh) {
        bh.consume(phaseTimers(8 * 2410L));
    }

    @Benchmark
    public void snapshot(Blackhole bh) {
        ModelSnapshot s = ModelSnapshot.Companion.take(model, CheckpointKind.FULL, config, buffers);
        s.release();
        bh.consume(s);
    }

    @Benchmark
    public void snapshotWithTimers(Blackhole bh) {
        SavePointEvent event = new SavePointEvent();
        event.begin();
        long deciding = System.nanoTime();
        event.decideNanos = System.nanoTime() - deciding;
        long snapshotting = System.nanoTime();
        ModelSnapshot s = ModelSnapshot.Companion.take(model, CheckpointKind.FULL, config, buffers);
        long handing = System.nanoTime();
        event.saved = true;
        event.fetchNanos = s.getFetchNanos();
        event.copyNanos = s.getCopyNanos();
        event.snapshotOtherNanos = handing - snapshotting - s.getFetchNanos() - s.getCopyNanos();
        event.floatBytes = 4 * s.getFloatCount();
        s.release();
        event.handOffNanos = System.nanoTime() - handing;
        event.commit();
        bh.consume(event);
    }

    public static void main(String[] args) throws RunnerException, CommandLineOptionException, IOException {
        String load = Files.readString(Path.of("/proc/loadavg")).trim();
        String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("unknown");
        String started = Instant.now().toString().substring(0, 16) + "Z";
        Map<String, RunResult> byMethod = new LinkedHashMap<>();
        for (RunResult r : new Runner(new OptionsBuilder().parent(new CommandLineOptions(args))
                .include(SavePointTimerBenchmark.class.getName() + "\\.").build()).run()) {
            String method = r.getParams().getBenchmark();
            byMethod.put(method.substring(method.lastIndexOf('.') + 1), r);
        }
        System.out.println();
        System.out.println("per save point, JMH mean +- 99.9% error; CPU " + cpu + ", " + Runtime.getRuntime().availableProcessors()
                + " processors, JDK " + Runtime.version() + ", " + started + ", load average at start " + load);
        for (Map.Entry<String, RunResult> e : byMethod.entrySet()) {
            var score = e.getValue().getPrimaryResult();
            System.out.printf("  %-20s %12.1f +- %10.1f ns%n", e.getKey(), score.getScore(), score.getScoreError());
        }
        double timers = byMethod.get("timers").getPrimaryResult().getScore();
        double snapshot = byMethod.get("snapshot").getPrimaryResult().getScore();
        System.out.printf("  timers / snapshot: %.2f%%%n", 100 * timers / snapshot);
    }

    /** The timers of one save point without its work; the three in {@code readVariables} are the last three calls. */
    private static SavePointEvent phaseTimers(long floatBytes) {
        SavePointEvent event = new SavePointEvent();
        event.begin();
        long deciding = System.nanoTime();
        event.decideNanos = System.nanoTime() - deciding;
        long snapshotting = System.nanoTime();
        long fetchStarted = System.nanoTime();
        long ran = System.nanoTime();
        long copied = System.nanoTime();
        long handing = System.nanoTime();
        event.saved = true;
        event.fetchNanos = ran - fetchStarted;
        event.copyNanos = copied - ran;
        event.snapshotOtherNanos = handing - snapshotting - event.fetchNanos - event.copyNanos;
        event.floatBytes = floatBytes;
        event.handOffNanos = System.nanoTime() - handing;
        event.commit();
        return event;
    }
}

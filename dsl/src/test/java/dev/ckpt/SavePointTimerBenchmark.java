package dev.ckpt;

import dev.ckpt.kotlindl.Digits;
import dev.ckpt.kotlindl.ModelSnapshot;
import dev.ckpt.kotlindl.SnapshotBuffers;
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

/**
 * What a save point's phase timers cost: the {@code System.nanoTime} calls and the {@code dev.ckpt.SavePoint} JFR
 * event (created, begun, filled and committed, with no recording enabling it, as in production), against the save
 * point's own work, the snapshot of the digits MLP's 14 variables (one session run, the copy into reused arrays).
 * Run from the repository root:
 *
 * <pre>
 * mvn -B -q -pl dsl -am test-compile exec:exec -DskipBenchmarks=false -Dexec.mainClass=org.openjdk.jmh.Main \
 *     -Dbench.args="SavePointTimerBenchmark -f 1 -wi 3 -i 5"
 * </pre>
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

package dev.ckpt.bench;

import dev.ckpt.CheckpointCallback;
import dev.ckpt.Ckpt;
import dev.ckpt.kotlindl.Digits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jetbrains.kotlinx.dl.api.core.Sequential;
import org.jetbrains.kotlinx.dl.api.core.callback.Callback;
import org.jetbrains.kotlinx.dl.api.core.history.BatchTrainingEvent;
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * (d) What the checkpoint callback costs per training batch when no save is due, against a callback that does
 * nothing (KotlinDL's base class), measured with JMH. Run from the repository root:
 *
 * <pre>
 * mvn -B -q -pl dsl -am test-compile exec:exec -DskipBenchmarks=false -Dexec.mainClass=org.openjdk.jmh.Main \
 *     -Dbench.args="PerBatchBenchmark -f 1 -wi 5 -i 5"
 * </pre>
 *
 * {@code frequency}: {@code epoch} saves at epoch ends only; {@code batches} counts batches towards a save every
 * Integer.MAX_VALUE batches, which never comes within a run of this length. Both see a real bound model and an open run.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PerBatchBenchmark {
    @Param({"epoch", "batches"})
    public String frequency;

    private Path dir;
    private Sequential model;
    private CheckpointCallback saver;
    private final Callback nothing = new Callback();
    private final TrainingHistory history = new TrainingHistory();
    private final BatchTrainingEvent event = new BatchTrainingEvent(1, 0, 0.5, List.of(0.9));
    private int batch;

    @Setup(Level.Trial)
    public void open() throws IOException {
        dir = Files.createTempDirectory("ckpt-per-batch");
        model = Digits.INSTANCE.newCompiledModel(32);
        model.init();
        boolean everyEpoch = frequency.equals("epoch");
        saver = Ckpt.checkpoint("run/s{step}", options -> {
            options.setDirectory(dir);
            options.setMonitor("loss");
            options.setSaveFrequency(everyEpoch ? options.everyEpoch() : options.everyBatches(Integer.MAX_VALUE));
        });
        saver.model = model; // KotlinDL binds callbacks this way at the start of fit
        nothing.model = model;
        saver.onTrainBegin();
        saver.onEpochBegin(1, history);
    }

    @TearDown(Level.Trial)
    public void close() {
        saver.close();
        model.close();
    }

    @Benchmark
    public void ckptCallback() {
        saver.onTrainBatchEnd(batch++ & 0xffff, 32, event, history);
    }

    @Benchmark
    public void emptyCallback() {
        nothing.onTrainBatchEnd(batch++ & 0xffff, 32, event, history);
    }
}

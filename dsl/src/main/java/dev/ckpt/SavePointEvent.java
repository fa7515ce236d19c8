package dev.ckpt;

import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * Where one save point's time on the training thread went, as a Java Flight Recorder event: waiting for the previous
 * save, deciding, the TensorFlow session run that fetches the variables, copying them into host buffers, the rest of
 * the snapshot (listing and checking the variables), and handing the snapshot to the writer (with inline saves:
 * writing it). Recorded only while a recording enables {@code dev.ckpt.SavePoint}; otherwise creating and committing
 * one, with the phase timers, costs under 2% of a small model's snapshot ({@code SavePointTimerBenchmark}). The
 * benchmarks' breakdown reads these events:
 * <pre>
 * java -XX:StartFlightRecording:filename=saves.jfr,settings=profile ...   # or jdk.jfr.Recording in process
 * jfr print --events dev.ckpt.SavePoint saves.jfr
 * </pre>
 */
@Name("dev.ckpt.SavePoint")
@Label("Checkpoint save point")
@Category("ckpt")
@Description("Training-thread time of one save point, by phase")
@StackTrace(false)
final class SavePointEvent extends Event {
    @Label("Waited for the previous save")
    @Timespan(Timespan.NANOSECONDS)
    long waitNanos;

    @Label("Deciding")
    @Timespan(Timespan.NANOSECONDS)
    long decideNanos;

    @Label("Session run fetching the variables")
    @Timespan(Timespan.NANOSECONDS)
    long fetchNanos;

    @Label("Copying the variables to host buffers")
    @Timespan(Timespan.NANOSECONDS)
    long copyNanos;

    @Label("Rest of the snapshot")
    @Timespan(Timespan.NANOSECONDS)
    long snapshotOtherNanos;

    @Label("Handing the snapshot to the writer")
    @Timespan(Timespan.NANOSECONDS)
    long handOffNanos;

    @Label("Floats snapshotted")
    @DataAmount(DataAmount.BYTES)
    long floatBytes;

    @Label("Saved")
    boolean saved;
}

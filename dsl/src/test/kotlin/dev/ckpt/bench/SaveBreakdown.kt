package dev.ckpt.bench

import dev.ckpt.CheckpointCallback
import dev.ckpt.checkpoint
import dev.ckpt.kotlindl.Digits
import jdk.jfr.Recording
import jdk.jfr.consumer.RecordedEvent
import jdk.jfr.consumer.RecordingFile
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.EpochTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import java.lang.management.ManagementFactory
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import kotlin.io.path.deleteRecursively
import kotlin.io.path.listDirectoryEntries

private val threads = ManagementFactory.getThreadMXBean() as com.sun.management.ThreadMXBean
private val os = ManagementFactory.getOperatingSystemMXBean() as com.sun.management.OperatingSystemMXBean

private const val EPOCHS = 10

/** The training thread's time at save points, by phase, and what the background writer does meanwhile. */
private class ProfiledFit(
    val wallMillis: Double,
    val processCpuMillis: Double,
    /** `dev.ckpt.SavePoint` events of the saves. */
    val savePoints: List<RecordedEvent>,
    /** Bytes the training thread allocated in the callback's epoch end (the save point and the history line), per epoch. */
    val allocatedPerSavePoint: List<Long>,
    /** Writer-thread CPU nanoseconds per save, between the first and the last epoch end (see [writerCpu]). */
    val writerCpuPerSave: Double?,
    val writerWallPerSave: Double?,
    val javaSamples: List<String>,
    val nativeSamples: List<String>,
)

/**
 * (b) by phase, the snapshot's allocation with and without reused arrays, the writer's CPU time per save against
 * an epoch's, and the writer's profile: [rounds] fits of each model per contender (no ckpt; background saves reusing
 * the snapshot arrays, ckpt's default; background saves allocating new arrays), alternating, after one warm-up
 * round, each under the same JFR recording: the `dev.ckpt.SavePoint` events, and execution and native-method
 * samples every [samplePeriod] of every thread, of which the writer's are kept.
 */
internal fun saveBreakdown(base: Path, rounds: Int, samplePeriod: Duration = Duration.ofMillis(1)) {
    val (train, valid) = Digits.train() to Digits.validation()
    println()
    println("(b) training-thread time per save by phase, and the background writer; a full checkpoint every epoch, keep best 3 +")
    println("    last 1, $EPOCHS epochs, batch 32; $rounds fits per contender after 1 warm-up, alternating; ${environment()}")
    val results = ArrayList<Triple<String, Map<String, List<ProfiledFit>>, Long>>()
    for ((label, newModel) in listOf<Pair<String, () -> Sequential>>("digits MLP (2,410)" to { Digits.newModel() }, "2x512 MLP (301,066)" to ::wideModel)) {
        var n = 0
        fun fit(reuse: Boolean?): ProfiledFit = newModel().use { model ->
            Digits.compile(model)
            val name = "bd-${n++}"
            val saver: CheckpointCallback? = reuse?.let {
                checkpoint("$name/e{epoch:02d}") { monitor = "val_loss"; keepBest = 3; keepLast = 1; directory = base }
                    .apply { reuseSnapshotArrays = it }
            }
            val before = AllocationProbe()
            val after = AllocationProbe(before, name)
            val file = Files.createTempFile(base, "breakdown", ".jfr")
            val wall: Long
            val cpu: Long
            Recording().use { recording ->
                recording.enable("dev.ckpt.SavePoint").withThreshold(Duration.ZERO)
                recording.enable("jdk.ExecutionSample").withPeriod(samplePeriod)
                recording.enable("jdk.NativeMethodSample").withPeriod(samplePeriod)
                recording.start()
                val cpuStarted = os.processCpuTime
                val started = System.nanoTime()
                model.fit(train, valid, EPOCHS, 32, 64, listOfNotNull(before, saver, after))
                wall = System.nanoTime() - started
                cpu = os.processCpuTime - cpuStarted
                recording.stop()
                recording.dump(file)
            }
            val events = RecordingFile.readAllEvents(file)
            Files.delete(file)
            val writer = { e: RecordedEvent -> e.getThread("sampledThread")?.javaName?.startsWith("ckpt-writer") == true }
            val stats = saver?.stats
            ProfiledFit(
                wall / 1e6, cpu / 1e6,
                events.filter { it.eventType.name == "dev.ckpt.SavePoint" && it.getBoolean("saved") },
                after.allocated,
                after.writerCpuPerSave(),
                stats?.let { it.writeNanos.toDouble() / it.saves },
                events.filter { it.eventType.name == "jdk.ExecutionSample" && writer(it) }.map(::category),
                events.filter { it.eventType.name == "jdk.NativeMethodSample" && writer(it) }.map(::category),
            ).also {
                @OptIn(kotlin.io.path.ExperimentalPathApi::class)
                base.listDirectoryEntries("bd-*").forEach { it.deleteRecursively() }
            }
        }
        val (none, reused, allocated) = rounds(rounds, 1, listOf({ fit(null) }, { fit(true) }, { fit(false) }))
        val floats = reused.first().savePoints.first().getLong("floatBytes") / 4
        results += Triple(label, mapOf("none" to none, "reused" to reused, "allocated" to allocated), floats)
    }
    phases(results)
    writerCpu(results)
    profile(results, samplePeriod)
}

/** Machine, JDK, date and load: every table says under which conditions it was measured. */
internal fun environment(): String {
    val load = runCatching { Files.readString(Path.of("/proc/loadavg")).split(' ').take(3).joinToString(" ") }.getOrDefault("unknown")
    return "CPU ${cpuModel()}, ${Runtime.getRuntime().availableProcessors()} processors, JDK ${System.getProperty("java.version")}, " +
        "${java.time.Instant.now().toString().substring(0, 16)}Z, load average $load (idle only if nothing else runs)"
}

/** Reads the training thread's allocation counter around the saver's epoch end; the second also samples the writer's CPU. */
private class AllocationProbe(private val before: AllocationProbe? = null, private val run: String = "") : Callback() {
    var mark = 0L
    val allocated = ArrayList<Long>()
    private var writerId = -1L
    private val writerCpu = ArrayList<Long>()

    override fun onEpochEnd(epoch: Int, event: EpochTrainingEvent, logs: TrainingHistory) {
        val now = threads.currentThreadAllocatedBytes
        if (before == null) {
            mark = now
            return
        }
        allocated += now - before.mark
        if (writerId < 0) {
            writerId = Thread.getAllStackTraces().keys.firstOrNull { it.name.startsWith("ckpt-writer") && it.name.contains(run) }?.id ?: -1
        }
        if (writerId >= 0) writerCpu += threads.getThreadCpuTime(writerId)
    }

    /**
     * At each epoch end after the saver's, save k was just handed to the writer, which has finished saves 1..k-1; so
     * the writer's CPU time between the first and the last epoch end is that of [EPOCHS] - 1 saves (give or take the
     * few instructions of save 1 and save [EPOCHS] that ran before the probe).
     */
    fun writerCpuPerSave(): Double? =
        if (writerCpu.size < 2 || writerCpu.any { it < 0 }) null else (writerCpu.last() - writerCpu.first()).toDouble() / (writerCpu.size - 1)
}

/**
 * What the writer was doing in a sample, from its stack: the manifest's replacement (with its own writes and
 * flushes), else the first frame from the top that is flushing, writing, hashing or formatting floats; else other
 * (creating and renaming files and directories, checkpoint.json, the JVM).
 */
private fun category(sample: RecordedEvent): String {
    val frames = sample.stackTrace?.frames.orEmpty().map { it.method.type.name + "." + it.method.name }
    if (frames.any { it.endsWith(".replaceManifest") }) return "manifest"
    for (f in frames) {
        when {
            f.endsWith(".force0") || f.endsWith("FileChannelImpl.force") -> return "fsync"
            f.contains("FileDispatcherImpl.write") || f.contains("FileDispatcherImpl.pwrite") || f.endsWith("IOUtil.write") ||
                f.contains("FileOutputStream.write") -> return "writing"
            f.startsWith("sun.security.provider.") || f.startsWith("java.security.MessageDigest") -> return "hashing"
            f.startsWith("dev.ckpt.kotlindl.FloatFormatter") || f.startsWith("dev.ckpt.kotlindl.FloatText") -> return "formatting"
        }
    }
    return "other"
}

private val PHASES = listOf("waitNanos" to "wait", "decideNanos" to "decide", "fetchNanos" to "fetch (run)", "copyNanos" to "copy",
    "snapshotOtherNanos" to "snapshot rest", "handOffNanos" to "hand-off")

private fun phases(results: List<Triple<String, Map<String, List<ProfiledFit>>, Long>>) {
    println()
    println("(b) median ms per save by phase, over every save of every fit; KB: the training thread's allocation in the callback's epoch end")
    println(String.format("%-22s %-10s %6s", "model", "arrays", "saves") + PHASES.joinToString("") { String.format(" %13s", it.second) } +
        String.format(" %9s %14s %9s %10s", "sum", "sum w/o wait", "KB", "floats"))
    for ((label, fits, floats) in results) {
        for (variant in listOf("reused", "allocated")) {
            val events = fits.getValue(variant).flatMap { it.savePoints }
            val medians = PHASES.map { (field, _) -> median(events.map { it.getDuration(field).toNanos() / 1e6 }) }
            val sum = median(events.map { e -> PHASES.sumOf { e.getDuration(it.first).toNanos() } / 1e6 })
            val own = median(events.map { e -> PHASES.drop(1).sumOf { e.getDuration(it.first).toNanos() } / 1e6 })
            val kb = median(fits.getValue(variant).flatMap { it.allocatedPerSavePoint }.map { it / 1024.0 })
            println(String.format("%-22s %-10s %6d", label, variant, events.size) + medians.joinToString("") { String.format(" %13.3f", it) } +
                String.format(" %9.3f %14.3f %9.1f %10d", sum, own, kb, floats))
        }
    }
    println("  (arrays: reused, the snapshot copies into the previous snapshot's arrays, ckpt's default; allocated, into new ones.")
    println("  sum: the median of each save's phases added up; wait: for the previous save; fetch: the one TensorFlow session run for")
    println("  all variables; copy: its tensors into host arrays; hand-off: to the background writer)")
}

private fun writerCpu(results: List<Triple<String, Map<String, List<ProfiledFit>>, Long>>) {
    println()
    println("(b) the background writer's CPU time per save against an epoch without ckpt (medians over the fits; reused arrays)")
    println(String.format("%-22s %16s %16s %14s %14s %18s %18s", "model", "writer CPU ms", "writer wall ms", "epoch wall ms",
        "epoch CPU ms", "CPU / epoch wall", "CPU / epoch CPU"))
    for ((label, fits, _) in results) {
        val reused = fits.getValue("reused")
        val none = fits.getValue("none")
        val cpu = median(reused.mapNotNull { it.writerCpuPerSave }.map { it / 1e6 })
        val wall = median(reused.mapNotNull { it.writerWallPerSave }.map { it / 1e6 })
        val epochWall = median(none.map { it.wallMillis / EPOCHS })
        val epochCpu = median(none.map { it.processCpuMillis / EPOCHS })
        println(String.format("%-22s %16.2f %16.2f %14.2f %14.2f %17.1f%% %17.1f%%", label, cpu, wall, epochWall, epochCpu,
            100 * cpu / epochWall, 100 * cpu / epochCpu))
    }
    println("  (writer CPU: its thread's CPU time per save; writer wall: from start to end of each commit; epoch wall and CPU: the")
    println("  fits without ckpt, the whole process's CPU (TensorFlow's threads included) divided by $EPOCHS. A save every epoch adds at")
    println("  least its CPU time to the work of an epoch; when TensorFlow already keeps every core busy, that is wall time too)")
}

private val CATEGORIES = listOf("formatting", "hashing", "writing", "fsync", "manifest", "other")

private fun profile(results: List<Triple<String, Map<String, List<ProfiledFit>>, Long>>, period: Duration) {
    println()
    println("(b) the writer thread's profile: JFR samples every ${period.toMillis()} ms of the writer, all fits with reused arrays, by category")
    println(String.format("%-22s %-8s %8s", "model", "samples", "count") + CATEGORIES.joinToString("") { String.format(" %11s", it) })
    for ((label, fits, _) in results) {
        val java = fits.getValue("reused").flatMap { it.javaSamples }
        val native = fits.getValue("reused").flatMap { it.nativeSamples }
        for ((kind, samples) in listOf("java" to java, "native" to native, "all" to java + native)) {
            val counts = samples.groupingBy { it }.eachCount()
            println(String.format("%-22s %-8s %8d", label, kind, samples.size) +
                CATEGORIES.joinToString("") { c -> String.format(" %10.1f%%", if (samples.isEmpty()) 0.0 else 100.0 * (counts[c] ?: 0) / samples.size) })
        }
    }
    println("  (java: execution samples, the writer running Java code; native: native-method samples, the writer inside a system")
    println("  call, fsync's wait included; a sample counts as manifest when the manifest's replacement is on its stack, else as the")
    println("  first of fsync, writing, hashing, formatting found from the top; other: creating and renaming files and directories,")
    println("  checkpoint.json, the JVM)")
}

package dev.ckpt.kotlindl

import dev.ckpt.CheckpointKind
import dev.ckpt.storage.CheckpointFacts
import dev.ckpt.storage.FileRunStore
import dev.ckpt.storage.RunChange
import dev.ckpt.storage.RunWriter
import java.time.Instant

import org.jetbrains.kotlinx.dl.api.core.SavingFormat
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.WritingMode
import org.jetbrains.kotlinx.dl.api.core.activation.Activations
import org.jetbrains.kotlinx.dl.api.core.layer.core.Dense
import org.jetbrains.kotlinx.dl.api.core.layer.core.Input
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.deleteRecursively
import kotlin.io.path.fileSize
import kotlin.io.path.listDirectoryEntries

/**
 * Side-by-side save timings, one run, same trained model: ckpt's [NativeFormatWriter] against KotlinDL's own
 * `save(dir, JSON_CONFIG_CUSTOM_VARIABLES, saveOptimizerState, OVERRIDE)`, weights only and full; plus ckpt's
 * whole durable commit as the callback does it (snapshot, then [RunWriter.commit]: temp sibling, files, SHA-256 and
 * `checkpoint.json`, fsync of every file and directory, atomic move over the previous checkpoint, manifest).
 *
 * Not a test. Run:
 * `mvn -B -q -pl core install -DskipTests && mvn -B -q -pl dsl test-compile exec:java -Dexec.skip=false \
 *     -Dexec.mainClass=dev.ckpt.kotlindl.SaveBenchmarkKt -Dexec.classpathScope=test [-Dexec.args="WARMUP REPS"]`
 *
 * KotlinDL has no weights-only mode: its closest, `saveOptimizerState = false`, also writes `modelConfig.json`
 * (under 1 KB here). The first two create their directory inside the timed region and do not fsync; the
 * durable commit does, so it measures what crash safety costs on this disk.
 */
@OptIn(kotlin.io.path.ExperimentalPathApi::class)
fun main(args: Array<String>) {
    val warmup = args.getOrNull(0)?.toInt() ?: 20
    val reps = args.getOrNull(1)?.toInt() ?: 51
    val root = Files.createTempDirectory("ckpt-bench")
    try {
        val digits = Digits.trainedModel(epochs = 2)
        val wide = wideModel()
        println("warmup $warmup, repetitions $reps, median wall time per save; JVM ${System.getProperty("java.version")}")
        println()
        println(String.format("%-22s %-8s %10s %12s %7s %14s %7s %11s %14s", "model (params)", "kind", "ckpt ms",
            "KotlinDL ms", "ratio", "durable ms", "ratio", "ckpt bytes", "KotlinDL bytes"))
        for ((label, model) in listOf("digits MLP" to digits, "wide MLP" to wide)) {
            val params = KotlinDlAccess.readVariables(model, false).sumOf { it.size() }
            for (kind in CheckpointKind.entries) {
                val full = kind == CheckpointKind.FULL
                var n = 0
                val runDir = root.resolve("run-$label-$kind")
                RunWriter.open(FileRunStore(runDir), "bench").use { writer ->
                    val target = runDir.resolve("latest")
                    val config = if (full) ModelSnapshot.configurationOf(model) else null
                    val (ours, theirs, durable) = measureAll(
                        warmup, reps,
                        {
                            val dir = Files.createDirectory(root.resolve("ckpt-${n++}"))
                            NativeFormatWriter.write(model, dir, kind)
                            dir
                        },
                        {
                            val dir = root.resolve("kotlindl-${n++}")
                            model.save(dir.toFile(), SavingFormat.JSON_CONFIG_CUSTOM_VARIABLES, full, WritingMode.OVERRIDE)
                            dir
                        },
                        {
                            val facts = CheckpointFacts(kind, ++n, null, n.toLong(), emptyMap(), null, null, false, Instant.EPOCH)
                            writer.commit("latest", facts, ModelSnapshot.take(model, kind, config).files(), RunChange(null, emptyList(), null))
                            null
                        },
                    )
                    val durableBytes = target.listDirectoryEntries().sumOf { it.fileSize() }
                    println(String.format("%-22s %-8s %10.2f %12.2f %6.2fx %14.2f %6.2fx %11d %14d",
                        "$label ($params)", kind, ours.millis, theirs.millis, theirs.millis / ours.millis,
                        durable.millis, durable.millis / theirs.millis, durableBytes, theirs.bytes))
                }
            }
            val read = medianMillis(warmup, reps) { KotlinDlAccess.readVariables(model, true) }
            val json = medianMillis(warmup, reps) { KotlinDlAccess.modelConfigJson(model) }
            println(String.format("%-28s   of which: reading all variables from the session %.2f ms, model config JSON %.2f ms", "", read, json))
        }
        digits.close()
        wide.close()
    } finally {
        root.deleteRecursively()
    }
}

private class Measured(val millis: Double, val bytes: Long)

/**
 * Runs the saves in rotating order, so drift in machine load hits all alike; medians of each. A save returns its
 * directory (measured, then deleted) or null when it manages its own files.
 */
@OptIn(kotlin.io.path.ExperimentalPathApi::class)
private fun measureAll(warmup: Int, reps: Int, vararg saves: () -> Path?): List<Measured> {
    repeat(warmup) { saves.forEach { save -> save()?.deleteRecursively() } }
    val bytes = LongArray(saves.size)
    val times = Array(saves.size) { DoubleArray(reps) }
    for (r in 0 until reps) {
        for (k in saves.indices) {
            val i = (r + k) % saves.size
            val start = System.nanoTime()
            val dir = saves[i]()
            times[i][r] = (System.nanoTime() - start) / 1e6
            if (dir != null) {
                bytes[i] = dir.listDirectoryEntries().sumOf { it.fileSize() }
                dir.deleteRecursively()
            }
        }
    }
    times.forEach { it.sort() }
    return saves.indices.map { Measured(times[it][reps / 2], bytes[it]) }
}

private fun medianMillis(warmup: Int, reps: Int, body: () -> Unit): Double {
    repeat(warmup) { body() }
    val times = DoubleArray(reps) {
        val start = System.nanoTime()
        body()
        (System.nanoTime() - start) / 1e6
    }
    times.sort()
    return times[reps / 2]
}

/** 64 -> 512 -> 512 -> 10 (about 300k weights, 900k values with Adam's slots), trained one epoch on digits. */
internal fun wideModel(): Sequential = Sequential.of(
    Input(64, name = "pixels"),
    Dense(512, Activations.Relu, name = "wide1"),
    Dense(512, Activations.Relu, name = "wide2"),
    Dense(10, Activations.Linear, name = "output"),
).also { Digits.compile(it); it.fit(Digits.train(), 1, Digits.BATCH_SIZE) }

package dev.ckpt.kotlindl

import dev.ckpt.storage.CheckpointKind

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
 * `save(dir, JSON_CONFIG_CUSTOM_VARIABLES, saveOptimizerState, OVERRIDE)`, weights only and full.
 *
 * Not a test. Run:
 * `mvn -B -ntp -q -pl dsl -am test-compile exec:java -Dexec.mainClass=dev.ckpt.kotlindl.SaveBenchmarkKt -Dexec.classpathScope=test`
 *
 * KotlinDL has no weights-only mode: its closest, `saveOptimizerState = false`, also writes `modelConfig.json`
 * (under 1 KB here). Both sides create their directory inside the timed region; neither fsyncs.
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
        println(String.format("%-28s %-8s %12s %12s %7s %12s %12s", "model (params)", "kind", "ckpt ms", "KotlinDL ms", "ratio", "ckpt bytes", "KotlinDL bytes"))
        for ((label, model) in listOf("digits MLP" to digits, "wide MLP" to wide)) {
            val params = KotlinDlAccess.readVariables(model, false).sumOf { it.size() }
            for (kind in CheckpointKind.entries) {
                val full = kind == CheckpointKind.FULL
                var n = 0
                val (ours, theirs) = measurePair(
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
                )
                println(String.format("%-28s %-8s %12.2f %12.2f %6.2fx %12d %12d",
                    "$label ($params)", kind, ours.millis, theirs.millis, theirs.millis / ours.millis, ours.bytes, theirs.bytes))
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

/** Runs the two saves alternately, so drift in machine load hits both alike; medians of each. */
@OptIn(kotlin.io.path.ExperimentalPathApi::class)
private fun measurePair(warmup: Int, reps: Int, a: () -> Path, b: () -> Path): Pair<Measured, Measured> {
    repeat(warmup) { a().deleteRecursively(); b().deleteRecursively() }
    val bytes = LongArray(2)
    val times = Array(2) { DoubleArray(reps) }
    for (r in 0 until reps) {
        val order = if (r % 2 == 0) intArrayOf(0, 1) else intArrayOf(1, 0)
        for (i in order) {
            val start = System.nanoTime()
            val dir = if (i == 0) a() else b()
            times[i][r] = (System.nanoTime() - start) / 1e6
            bytes[i] = dir.listDirectoryEntries().sumOf { it.fileSize() }
            dir.deleteRecursively()
        }
    }
    times.forEach { it.sort() }
    return Measured(times[0][reps / 2], bytes[0]) to Measured(times[1][reps / 2], bytes[1])
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
private fun wideModel(): Sequential = Sequential.of(
    Input(64, name = "pixels"),
    Dense(512, Activations.Relu, name = "wide1"),
    Dense(512, Activations.Relu, name = "wide2"),
    Dense(10, Activations.Linear, name = "output"),
).also { Digits.compile(it); it.fit(Digits.train(), 1, Digits.BATCH_SIZE) }

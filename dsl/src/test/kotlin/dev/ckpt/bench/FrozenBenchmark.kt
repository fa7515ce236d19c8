package dev.ckpt.bench

import dev.ckpt.CheckpointKind
import dev.ckpt.checkpoint
import dev.ckpt.kotlindl.Digits
import dev.ckpt.kotlindl.ModelSnapshot
import dev.ckpt.storage.CheckpointFacts
import dev.ckpt.storage.FileRunStore
import dev.ckpt.storage.RunWriter
import dev.ckpt.storage.planned
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.activation.Activations
import org.jetbrains.kotlinx.dl.api.core.layer.core.Dense
import org.jetbrains.kotlinx.dl.api.core.layer.core.Input
import java.nio.file.Files
import java.nio.file.Path
import java.time.Instant
import kotlin.io.path.deleteRecursively

/**
 * Transfer learning: full checkpoints of MLPs whose hidden layers are frozen, with unchanged files taken from the
 * previous checkpoint (reuse, the default) and without (every file formatted, hashed and flushed), alternating in one
 * JVM, medians. Run from the repository root with
 *
 * ```
 * mvn -B -q -pl dsl -am test-compile exec:exec -DskipBenchmarks=false \
 *     -Dexec.mainClass=dev.ckpt.bench.FrozenBenchmarkKt -Dbench.args="rounds=5 epochs=5"
 * ```
 *
 * - save: the writer's time for one full checkpoint (snapshot taken, then commit and the release of the checkpoint
 *   before it, as `keepLast = 1` does), one training batch between saves so the head and the optimizer state change;
 *   both writers commit the same snapshot, in alternating order.
 * - fit: `epochs` epochs of the digits data, batch 32, a full checkpoint every epoch in the background, against the
 *   same fit without a callback; the overhead per save is (fit with checkpoints - fit without) / epochs.
 * The digits MLP (nothing frozen) is the reference the issue's goal compares with.
 */
fun main(args: Array<String>) {
    val words = args.flatMap { it.split(' ') }.filter { it.isNotBlank() }
    fun arg(name: String, default: Int) = words.firstOrNull { it.startsWith("$name=") }?.substringAfter('=')?.toInt() ?: default
    val rounds = arg("rounds", 5)
    val epochs = arg("epochs", 5)
    println("JVM ${System.getProperty("java.version")}, ${Runtime.getRuntime().availableProcessors()} processors, " +
        "CPU ${cpuName()}; $rounds rounds, medians; load average ${loadAverage()} at start")
    val base = Files.createTempDirectory("ckpt-frozen-bench")
    try {
        val shapes = listOf(
            Shape("digits MLP, nothing frozen", 0) { Digits.newModel() },
            Shape("64-512-512-10, 2 frozen", 512) { frozenMlp(512) },
            Shape("64-1024-1024-10, 2 frozen", 1024) { frozenMlp(1024) },
            Shape("64-2304-2304-10, 2 frozen", 2304) { frozenMlp(2304) },
        )
        val saveRows = shapes.map { saveTimes(base, it, rounds) }
        println()
        println("save: one full checkpoint by the writer (commit + release of the previous), median ms")
        println(String.format("%-28s %11s %11s %11s %9s %9s", "model", "parameters", "trainable", "reuse ms", "no reuse", "ratio"))
        saveRows.forEach(::println)
        val fitRows = shapes.map { fitTimes(base, it, rounds, epochs) }
        println()
        println("fit: $epochs epochs, batch 32, a full checkpoint every epoch in the background, median ms")
        println(String.format("%-28s %10s %10s %10s %13s %13s", "model", "no ckpt", "reuse", "no reuse", "reuse /save", "no reuse /save"))
        fitRows.forEach { println(it.line) }
        val digits = fitRows.first()
        println()
        println("cost per save (fit overhead / epochs) against the digits MLP's (goal for frozen models: <= 1.5x):")
        for (row in fitRows.drop(1)) {
            println(String.format("  %-28s reuse %5.2fx   no reuse %5.2fx", row.label,
                row.reusePerSave / digits.reusePerSave, row.noReusePerSave / digits.reusePerSave))
        }
    } finally {
        @OptIn(kotlin.io.path.ExperimentalPathApi::class)
        base.deleteRecursively()
    }
}

private class Shape(val label: String, val width: Int, val build: () -> Sequential)

private class FitRow(val label: String, val line: String, val reusePerSave: Double, val noReusePerSave: Double)

/** 64→[width]→[width]→10 with both hidden layers frozen: a pretrained backbone under a trainable head. */
internal fun frozenMlp(width: Int): Sequential = Sequential.of(
    Input(64, name = "pixels"),
    Dense(width, Activations.Relu, name = "backbone1").apply { isTrainable = false },
    Dense(width, Activations.Relu, name = "backbone2").apply { isTrainable = false },
    Dense(10, Activations.Linear, name = "head"),
)

private fun saveTimes(base: Path, shape: Shape, rounds: Int): String = shape.build().use { model ->
    Digits.compile(model)
    val train = Digits.train()
    model.fit(train, 1, 1437) // one batch: the variables exist
    val config = ModelSnapshot.configurationOf(model)
    val total = ModelSnapshot.take(model, CheckpointKind.WEIGHTS, null).floatCount
    val trainable = model.layers.filterIsInstance<Dense>().filter { it.isTrainable }.sumOf { it.paramCount.toLong() }
    val times = listOf(ArrayList<Double>(), ArrayList<Double>())
    val dirs = listOf(base.resolve("save-reuse-${shape.width}"), base.resolve("save-plain-${shape.width}"))
    RunWriter.open(FileRunStore(dirs[0]), "bench", reuse = true).use { reuse ->
        RunWriter.open(FileRunStore(dirs[1]), "bench", reuse = false).use { plain ->
            val writers = listOf(reuse, plain)
            for (r in -2 until rounds) {
                model.fit(train, 1, 1437)
                val snapshot = ModelSnapshot.take(model, CheckpointKind.FULL, config)
                for (k in 0..1) {
                    val i = (r + 2 + k) % 2
                    val writer = writers[i]
                    val path = "e%03d".format(r + 3)
                    val previous = writer.manifest.latest
                    val facts = CheckpointFacts(CheckpointKind.FULL, r + 3, null, r + 3L, emptyMap(), null, null, false, Instant.EPOCH)
                    val started = System.nanoTime()
                    writer.commit(path, facts, snapshot.files(), writer.planned(path, null, listOfNotNull(previous)))
                    check(writer.release().isEmpty())
                    val ms = (System.nanoTime() - started) / 1e6
                    if (r >= 0) times[i] += ms
                }
            }
        }
    }
    val (withReuse, without) = times.map(::medianOf)
    String.format("%-28s %,11d %,11d %11.1f %9.1f %8.2fx", shape.label, total, trainable, withReuse, without, without / withReuse)
}

private fun fitTimes(base: Path, shape: Shape, rounds: Int, epochs: Int): FitRow {
    val (train, valid) = Digits.train() to Digits.validation()
    var n = 0
    fun run(reuse: Boolean?): Double = shape.build().use { model ->
        Digits.compile(model)
        val saver = reuse?.let { r ->
            checkpoint("fit-${shape.width}-${n++}/e{epoch:02d}") { monitor = "val_loss"; keepLast = 1; directory = base }
                .also { it.reuseUnchanged = r }
        }
        val started = System.nanoTime()
        model.fit(train, valid, epochs, 32, 64, listOfNotNull(saver))
        (System.nanoTime() - started) / 1e6
    }
    val contenders = listOf({ run(null) }, { run(true) }, { run(false) })
    val results = contenders.map { ArrayList<Double>() }
    for (r in -1 until rounds) {
        for (k in contenders.indices) {
            val i = (r + 1 + k) % contenders.size
            val ms = contenders[i]()
            if (r >= 0) results[i] += ms
        }
    }
    val (none, reuse, plain) = results.map(::medianOf)
    val reusePerSave = (reuse - none) / epochs
    val plainPerSave = (plain - none) / epochs
    return FitRow(
        shape.label,
        String.format("%-28s %10.0f %10.0f %10.0f %13.1f %13.1f", shape.label, none, reuse, plain, reusePerSave, plainPerSave),
        reusePerSave, plainPerSave,
    )
}

private fun medianOf(values: List<Double>): Double = values.sorted()[values.size / 2]

private fun cpuName(): String = runCatching {
    Files.readAllLines(Path.of("/proc/cpuinfo")).first { it.startsWith("model name") }.substringAfter(':').trim()
}.getOrDefault("unknown")

private fun loadAverage(): String = runCatching { Files.readString(Path.of("/proc/loadavg")).split(' ').take(3).joinToString(" ") }.getOrDefault("unknown")

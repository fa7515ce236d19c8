package dev.ckpt.bench

import dev.ckpt.CheckpointCallback
import dev.ckpt.CheckpointKind
import dev.ckpt.Checkpoints
import dev.ckpt.LoadOption
import dev.ckpt.checkpoint
import dev.ckpt.kotlindl.Digits
import dev.ckpt.kotlindl.ModelSnapshot
import dev.ckpt.storage.CheckpointFacts
import dev.ckpt.storage.FileRunStore
import dev.ckpt.storage.planned
import dev.ckpt.storage.RunWriter
import org.jetbrains.kotlinx.dl.api.core.SavingFormat
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.WritingMode
import org.jetbrains.kotlinx.dl.api.core.activation.Activations
import org.jetbrains.kotlinx.dl.api.core.layer.core.Dense
import org.jetbrains.kotlinx.dl.api.core.layer.core.Input
import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardOpenOption
import java.time.Instant
import kotlin.io.path.deleteRecursively
import kotlin.io.path.fileSize
import kotlin.io.path.listDirectoryEntries

/**
 * ckpt's benchmarks, each side by side with the alternative in one JVM, alternating the contenders round by round
 * so that drift in machine load hits all alike, reporting medians and ratios. Not tests: run from the repository
 * root with
 *
 * ```
 * mvn -B -q -pl dsl -am test-compile exec:exec -DskipBenchmarks=false -Dbench.args="fit save writer restore scaling rounds=7"
 * ```
 *
 * - `fit`: overhead of checkpointing on `fit` (10 epochs of the digits data, a full checkpoint every epoch, keep best
 *   3 + last 1) for the samples' digits MLP and a 64→512→512→10 MLP: no callback vs ckpt in the background (the
 *   default) vs ckpt on the training thread (`async = false`); and each with `saveFrequency = everyEpochs(5)` (TF
 *   2.4's `period=5`: two saves in the 10 epochs), in the same rounds against the same no-callback runs.
 * - `save`: of those background runs, the time the training thread spent per save (deciding, copying the
 *   variables, waiting for the previous save), from the callback's [dev.ckpt.SaveStats].
 * - `breakdown` (not in the default set): that time per save by phase — waiting for the previous save, deciding,
 *   the session run fetching the variables, copying them to host arrays, the rest of the snapshot, the hand-off
 *   to the writer — from the `dev.ckpt.SavePoint` JFR events of background fits recorded in this JVM, with the
 *   snapshot's arrays reused (the default) and allocated anew, side by side; the training thread's allocation per
 *   save point; the writer's CPU time per save against an epoch's; the writer's profile by category from JFR
 *   execution and native-method samples (see `SaveBreakdown.kt`).
 * - `writer`: one full checkpoint of the 2×512 MLP through ckpt's whole durable commit (format, hash, fsync of every
 *   file and directory, atomic rename, manifest) vs KotlinDL's `save` (no fsync) vs the disk's limit (the same bytes
 *   in the same number of files, each written and fsynced).
 * - `restore`: ckpt's `loadWeightsInto` (with and without re-hashing first) vs KotlinDL's `loadWeights`, same files.
 * - `scaling`: a weights-only durable save of models with about 10k, 100k, 1M and 10M parameters.
 *
 * Per-batch cost of the callback when no save is due is measured with JMH: see `PerBatchBenchmark`.
 */
fun main(args: Array<String>) {
    val words = args.flatMap { it.split(' ', ',') }.filter { it.isNotBlank() }
    val rounds = words.firstOrNull { it.startsWith("rounds=") }?.substringAfter('=')?.toInt() ?: 7
    val which = words.filter { !it.startsWith("rounds=") }.ifEmpty { listOf("fit", "save", "writer", "restore", "scaling") }
    println("JVM ${System.getProperty("java.version")}, ${Runtime.getRuntime().availableProcessors()} processors, " +
        "CPU ${cpuModel()}; $rounds rounds, medians")
    val base = Files.createTempDirectory("ckpt-bench")
    try {
        if ("fit" in which || "save" in which) fitOverhead(base, rounds, "save" in which)
        if ("breakdown" in which) saveBreakdown(base, rounds)
        if ("writer" in which) writerThroughput(base, rounds)
        if ("restore" in which) restore(base, rounds)
        if ("scaling" in which) scaling(base, maxOf(3, rounds / 2))
    } finally {
        @OptIn(kotlin.io.path.ExperimentalPathApi::class)
        base.deleteRecursively()
    }
}

internal fun cpuModel(): String = runCatching {
    Files.readAllLines(Path.of("/proc/cpuinfo")).first { it.startsWith("model name") }.substringAfter(':').trim()
}.getOrDefault("unknown")

/** 64 -> 512 -> 512 -> 10: about 300k weights, 900k floats with Adam's slots. */
internal fun wideModel(): Sequential = Sequential.of(
    Input(64, name = "pixels"),
    Dense(512, Activations.Relu, name = "wide1"),
    Dense(512, Activations.Relu, name = "wide2"),
    Dense(10, Activations.Linear, name = "output"),
)

private fun millis(nanos: Long) = nanos / 1e6

internal fun median(values: List<Double>): Double = values.sorted()[values.size / 2]

/** Runs each contender once per round, in rotating order; returns each one's results, in contender order. */
internal fun <T> rounds(rounds: Int, warmup: Int, contenders: List<() -> T>): List<List<T>> {
    val results = contenders.map { ArrayList<T>() }
    for (r in -warmup until rounds) {
        for (k in contenders.indices) {
            val i = (r + warmup + k) % contenders.size
            val result = contenders[i]()
            if (r >= 0) results[i] += result
        }
    }
    return results
}

private class FitRun(val millis: Double, val stats: dev.ckpt.SaveStats?)

private fun fitOverhead(base: Path, rounds: Int, perSave: Boolean) {
    val (train, valid) = Digits.train() to Digits.validation()
    println()
    println("(a) fit overhead: 10 epochs, batch 32, a full checkpoint every epoch (or every 5th), keep best 3 + last 1")
    println(String.format("%-26s %12s %16s %9s %16s %9s", "model", "no ckpt ms", "background ms", "overhead", "inline ms", "overhead"))
    val saveRows = ArrayList<String>()
    for ((label, newModel) in listOf<Pair<String, () -> Sequential>>("digits MLP (2,410)" to { Digits.newModel() }, "2x512 MLP (301,066)" to ::wideModel)) {
        var n = 0
        fun run(async: Boolean?, epochs: Int = 1): FitRun = newModel().use { model ->
            Digits.compile(model)
            val saver: CheckpointCallback? = async?.let { a ->
                checkpoint("run-${n++}/e{epoch:02d}") {
                    monitor = "val_loss"; keepBest = 3; keepLast = 1; this.async = a; directory = base
                    saveFrequency = everyEpochs(epochs)
                }
            }
            val started = System.nanoTime()
            model.fit(train, valid, 10, 32, 64, listOfNotNull(saver))
            FitRun(millis(System.nanoTime() - started), saver?.stats)
        }
        val (none, background, inline, background5, inline5) = rounds(
            rounds, 2, listOf({ run(null) }, { run(true) }, { run(false) }, { run(true, 5) }, { run(false, 5) }),
        )
        val noneMs = median(none.map { it.millis })
        fun row(name: String, bg: List<FitRun>, inl: List<FitRun>) {
            val bgMs = median(bg.map { it.millis })
            val inMs = median(inl.map { it.millis })
            println(String.format("%-26s %12.1f %16.1f %8.1f%% %16.1f %8.1f%%", name, noneMs, bgMs, 100 * (bgMs / noneMs - 1), inMs, 100 * (inMs / noneMs - 1)))
        }
        row(label, background, inline)
        row("  everyEpochs(5)", background5, inline5)
        val perSaveThread = median(background.map { millis(it.stats!!.trainingThreadNanos) / it.stats.saves })
        val perSaveWait = median(background.map { millis(it.stats!!.waitNanos) / it.stats.saves })
        val perSaveWrite = median(background.map { millis(it.stats!!.writeNanos) / it.stats.saves })
        val inlinePerSave = median(inline.map { millis(it.stats!!.trainingThreadNanos) / it.stats.saves })
        saveRows += String.format("%-26s %18.2f %14.2f %16.2f %18.2f", label, perSaveThread, perSaveWait, perSaveWrite, inlinePerSave)
        @OptIn(kotlin.io.path.ExperimentalPathApi::class)
        base.listDirectoryEntries("run-*").forEach { it.deleteRecursively() }
    }
    if (perSave) {
        println()
        println("(b) training-thread time per save (background runs above; inline for comparison)")
        println(String.format("%-26s %18s %14s %16s %18s", "model", "at save points ms", "all waits ms", "writer ms (bg)", "inline, per save ms"))
        println("  (per save; \"at save points\": deciding, copying the variables, waiting there for the previous save; " +
            "\"all waits\": those waits and train end's wait for the last save)")
        saveRows.forEach(::println)
    }
}

private fun writerThroughput(base: Path, rounds: Int) {
    println()
    println("(c) one full checkpoint of the 2x512 MLP (model trained 1 epoch)")
    wideModel().use { model ->
        Digits.compile(model)
        model.fit(Digits.train(), 1, 32)
        val config = ModelSnapshot.configurationOf(model)
        var n = 0
        val runDir = base.resolve("writer-run")
        RunWriter.open(FileRunStore(runDir), "bench", reuse = false).use { writer ->
            val ckpt = {
                val started = System.nanoTime()
                val facts = CheckpointFacts(CheckpointKind.FULL, ++n, null, n.toLong(), emptyMap(), null, null, false, Instant.EPOCH)
                writer.commit("latest", facts, ModelSnapshot.take(model, CheckpointKind.FULL, config).files(), writer.planned("latest", null))
                millis(System.nanoTime() - started)
            }
            val kotlinDl = {
                val dir = base.resolve("kotlindl-${n++}")
                val started = System.nanoTime()
                model.save(dir.toFile(), SavingFormat.JSON_CONFIG_CUSTOM_VARIABLES, true, WritingMode.FAIL_IF_EXISTS)
                val ms = millis(System.nanoTime() - started)
                @OptIn(kotlin.io.path.ExperimentalPathApi::class)
                dir.deleteRecursively()
                ms
            }
            ckpt()
            val sizes = runDir.resolve("latest").listDirectoryEntries().map { it.fileSize().toInt() }
            val raw = {
                val dir = Files.createDirectory(base.resolve("raw-${n++}"))
                val started = System.nanoTime()
                for ((i, size) in sizes.withIndex()) {
                    FileChannel.open(dir.resolve("f$i"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).use { ch ->
                        val buffer = ByteBuffer.allocate(size)
                        while (buffer.hasRemaining()) ch.write(buffer)
                        ch.force(true)
                    }
                }
                FileChannel.open(dir, StandardOpenOption.READ).use { it.force(true) }
                val ms = millis(System.nanoTime() - started)
                @OptIn(kotlin.io.path.ExperimentalPathApi::class)
                dir.deleteRecursively()
                ms
            }
            val (c, k, r) = rounds(rounds, 3, listOf(ckpt, kotlinDl, raw)).map(::median)
            val megabytes = sizes.sum() / 1e6
            println(String.format("  %d files, %.1f MB", sizes.size, megabytes))
            println(String.format("  ckpt durable commit  %8.1f ms  %6.1f MB/s", c, megabytes / (c / 1000)))
            println(String.format("  KotlinDL save        %8.1f ms  %6.1f MB/s   ckpt / KotlinDL = %.2f", k, megabytes / (k / 1000), c / k))
            println(String.format("  raw bytes + fsync    %8.1f ms  %6.1f MB/s   ckpt / disk limit = %.2f", r, megabytes / (r / 1000), c / r))
        }
    }
}

private fun restore(base: Path, rounds: Int) {
    println()
    println("(e) restore a full checkpoint of the 2x512 MLP into a compiled model")
    val dir = base.resolve("restore")
    val saver = checkpoint("run/e{epoch:02d}") { monitor = "loss"; directory = dir }
    wideModel().use { model ->
        Digits.compile(model)
        model.fit(Digits.train(), 1, 32, listOf(saver))
    }
    val checkpoint = Checkpoints.open(dir.resolve("run")).latest()
    // A fresh compiled model per load, built outside the timer: KotlinDL's loadWeights refuses an initialized model.
    fun timedLoad(load: (Sequential) -> Unit): Double = wideModel().use { model ->
        Digits.compile(model)
        val started = System.nanoTime()
        load(model)
        millis(System.nanoTime() - started)
    }
    val (verified, unverified, kotlinDl) = rounds(rounds, 3, listOf(
        { timedLoad { checkpoint.loadWeightsInto(it, LoadOption.WITH_OPTIMIZER_STATE) } },
        { timedLoad { checkpoint.loadWeightsInto(it, LoadOption.WITH_OPTIMIZER_STATE, LoadOption.ALLOW_CORRUPT) } },
        { timedLoad { it.loadWeights(checkpoint.directory.toFile(), true) } },
    )).map(::median)
    println(String.format("  ckpt, verifying SHA-256 first  %8.1f ms   KotlinDL / ckpt = %.2f", verified, kotlinDl / verified))
    println(String.format("  ckpt, without verifying        %8.1f ms   KotlinDL / ckpt = %.2f", unverified, kotlinDl / unverified))
    println(String.format("  KotlinDL loadWeights           %8.1f ms", kotlinDl))
}

private fun scaling(base: Path, rounds: Int) {
    println()
    println("(f) weights-only durable save by model size (one Dense stack, trained one batch)")
    println(String.format("%12s %10s %10s %14s %14s", "parameters", "MB", "save ms", "ns / float", "MB/s"))
    for (width in listOf(60, 300, 960, 3100)) {
        Sequential.of(Input(64), Dense(width, Activations.Relu), Dense(width, Activations.Relu), Dense(10)).use { model ->
            Digits.compile(model)
            model.fit(Digits.train(), 1, 1437) // one batch: the variables exist
            val params = ModelSnapshot.take(model, CheckpointKind.WEIGHTS, null).floatCount
            var n = 0
            RunWriter.open(FileRunStore(base.resolve("scaling-$width")), "bench", reuse = false).use { writer ->
                val times = rounds(rounds, 1, listOf({
                    val started = System.nanoTime()
                    val facts = CheckpointFacts(CheckpointKind.WEIGHTS, ++n, null, n.toLong(), emptyMap(), null, null, false, Instant.EPOCH)
                    writer.commit("latest", facts, ModelSnapshot.take(model, CheckpointKind.WEIGHTS, null).files(), writer.planned("latest", null))
                    millis(System.nanoTime() - started)
                })).single()
                val ms = median(times)
                val megabytes = base.resolve("scaling-$width/latest").listDirectoryEntries().sumOf { it.fileSize() } / 1e6
                println(String.format("%12d %10.1f %10.1f %14.1f %14.1f", params, megabytes, ms, ms * 1e6 / params, megabytes / (ms / 1000)))
            }
        }
    }
}

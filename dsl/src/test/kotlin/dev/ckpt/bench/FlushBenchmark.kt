package dev.ckpt.bench

import dev.ckpt.CheckpointKind
import dev.ckpt.kotlindl.Digits
import dev.ckpt.kotlindl.ModelSnapshot
import dev.ckpt.storage.CheckpointFacts
import dev.ckpt.storage.CheckpointFile
import dev.ckpt.storage.CommitFlush
import dev.ckpt.storage.FileRunStore
import dev.ckpt.storage.Fsync
import dev.ckpt.storage.RunWriter
import dev.ckpt.storage.planned
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.activation.Activations
import org.jetbrains.kotlinx.dl.api.core.layer.core.Dense
import org.jetbrains.kotlinx.dl.api.core.layer.core.Input
import java.nio.channels.FileChannel
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardOpenOption
import java.time.Instant
import java.util.concurrent.atomic.AtomicInteger
import java.util.concurrent.atomic.AtomicLong
import kotlin.io.path.deleteRecursively
import kotlin.io.path.isRegularFile
import kotlin.io.path.walk

/**
 * Grouped flushes against one-by-one flushing (issue 21, part 2): the durable commit of one checkpoint at about
 * 8k, 300k and 10M parameters, its files flushed one after another or together on 2, 4 (ckpt's default) or 8
 * threads, the contenders alternating round by round in one JVM; medians, and ratios to one-by-one. Not a test:
 * run from the repository root with
 *
 * ```
 * mvn -B -q -pl dsl -am test-compile exec:exec -DskipBenchmarks=false \
 *     -Dexec.mainClass=dev.ckpt.bench.FlushBenchmarkKt -Dbench.args="rounds=9"
 * ```
 *
 * Each model's snapshot is taken and formatted once, before the rounds, so a save here is the commit alone: write
 * the files, hash them, flush them, flush the directories, move the previous `latest` aside, rename, replace the
 * manifest, delete the previous version. Flushes are counted and timed through the commit's [Fsync] seam (files,
 * their directories and the run directory; the manifest's own two flushes are the same in every column and not
 * counted). "flush ms" is the wall time from the first flush's start to the last one's end in each save.
 */
fun main(args: Array<String>) {
    val words = args.flatMap { it.split(' ', ',') }.filter { it.isNotBlank() }
    val rounds = words.firstOrNull { it.startsWith("rounds=") }?.substringAfter('=')?.toInt() ?: 9
    println("JVM ${System.getProperty("java.version")}, ${Runtime.getRuntime().availableProcessors()} processors, " +
        "CPU ${cpuModel()}; $rounds rounds after 2 warm-up, medians")
    val base = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir"))), "ckpt-flush")
    println("directory $base (file system ${Files.getFileStore(base).type()})")
    val notes = ArrayList<String>()
    try {
        println()
        println("| model | checkpoint | files | MB | flushing | fsyncs / save | flush ms | save ms | flush vs one-by-one | save vs one-by-one |")
        println("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for ((width, kind) in listOf(60 to CheckpointKind.FULL, 512 to CheckpointKind.FULL, 3100 to CheckpointKind.WEIGHTS)) {
            val n = if (width >= 3100) maxOf(3, rounds / 2) else rounds
            notes += measure(base, width, kind, n)
        }
        println()
        notes.forEach(::println)
    } finally {
        @OptIn(kotlin.io.path.ExperimentalPathApi::class)
        base.deleteRecursively()
    }
}

/** Counts the flushes through the seam and spans their wall time, from the first start to the last end. */
private class CountingFsync : Fsync {
    val count = AtomicInteger()
    private val first = AtomicLong(Long.MAX_VALUE)
    private val last = AtomicLong(Long.MIN_VALUE)

    override fun force(path: Path, directory: Boolean) {
        first.accumulateAndGet(System.nanoTime(), ::minOf)
        Fsync.DEVICE.force(path, directory)
        count.incrementAndGet()
        last.accumulateAndGet(System.nanoTime(), ::maxOf)
    }

    fun reset() {
        count.set(0); first.set(Long.MAX_VALUE); last.set(Long.MIN_VALUE)
    }

    fun spanMillis(): Double = (last.get() - first.get()) / 1e6
}

private class Contender(val label: String, threads: Int?, dir: Path) {
    val fsync = CountingFsync()
    val writer: RunWriter = RunWriter.open(FileRunStore(dir, CommitFlush(fsync, threads?.let { CommitFlush.flushPool(it) })), "bench")
    val flushMs = ArrayList<Double>()
    val saveMs = ArrayList<Double>()
    val counts = ArrayList<Int>()
}

private fun measure(base: Path, width: Int, kind: CheckpointKind, rounds: Int): String =
    Sequential.of(Input(64), Dense(width, Activations.Relu), Dense(width, Activations.Relu), Dense(10)).use { model ->
        Digits.compile(model)
        model.fit(Digits.train(), 1, 1437) // one batch: the variables (and the optimizer's) exist
        val config = if (kind == CheckpointKind.FULL) ModelSnapshot.configurationOf(model) else null
        val snapshot = ModelSnapshot.take(model, kind, config)
        val files = snapshot.files().map { f -> val bytes = f.bytes(); CheckpointFile(f.path) { bytes } }
        val megabytes = files.sumOf { it.bytes().size } / 1e6
        val contenders = listOf("one by one" to null, "2 threads" to 2, "4 threads (default)" to 4, "8 threads" to 8)
            .map { (label, threads) -> Contender(label, threads, base.resolve("w$width-${threads ?: 1}")) }
        var n = 0
        try {
            for (r in -2 until rounds) {
                for (k in contenders.indices) {
                    val c = contenders[(r + 2 + k) % contenders.size]
                    c.fsync.reset()
                    val facts = CheckpointFacts(kind, ++n, null, n.toLong(), emptyMap(), null, null, false, Instant.EPOCH)
                    val started = System.nanoTime()
                    c.writer.commit("latest", facts, files, c.writer.planned("latest", null))
                    val ms = (System.nanoTime() - started) / 1e6
                    if (r >= 0) {
                        c.saveMs += ms; c.flushMs += c.fsync.spanMillis(); c.counts += c.fsync.count.get()
                    }
                }
            }
            val oneByOne = contenders.first()
            val baseFlush = median(oneByOne.flushMs)
            val baseSave = median(oneByOne.saveMs)
            val params = String.format("%,d", ModelSnapshot.take(model, CheckpointKind.WEIGHTS, null).floatCount)
            for (c in contenders) {
                val flush = median(c.flushMs)
                val save = median(c.saveMs)
                val fsyncs = c.counts.distinct().joinToString("/")
                println(String.format("| %s | %s | %d | %.1f | %s | %s | %.2f | %.2f | %.2f | %.2f |",
                    "${width}-wide ($params parameters)", kind.name.lowercase(), files.size, megabytes, c.label, fsyncs,
                    flush, save, flush / baseFlush, save / baseSave))
            }
            String.format("%s-wide: reopening its %d files for their flush (open + close, no flush) takes %.3f ms a save, median",
                width, files.size, reopenMillis(base.resolve("w$width-1/latest"), rounds))
        } finally {
            contenders.forEach { it.writer.close() }
        }
    }


/** What flushing through a second open costs: opening and closing each of a checkpoint's files, median of [rounds]. */
private fun reopenMillis(checkpoint: Path, rounds: Int): Double {
    @OptIn(kotlin.io.path.ExperimentalPathApi::class)
    val paths = checkpoint.walk().filter { it.isRegularFile() }.toList()
    check(paths.isNotEmpty()) { "no files under $checkpoint" }
    return median((0 until rounds).map {
        val started = System.nanoTime()
        for (p in paths) FileChannel.open(p, StandardOpenOption.WRITE).close()
        (System.nanoTime() - started) / 1e6
    })
}

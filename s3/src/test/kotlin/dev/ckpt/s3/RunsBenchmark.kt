package dev.ckpt.s3

import dev.ckpt.CheckpointKind
import dev.ckpt.Checkpoints
import dev.ckpt.core.monitor.Mode
import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.storage.CheckpointFacts
import dev.ckpt.storage.CheckpointFile
import dev.ckpt.storage.FileRunStore
import dev.ckpt.storage.planned
import dev.ckpt.storage.RunReader
import dev.ckpt.storage.RunStore
import dev.ckpt.storage.RunWriter
import dev.ckpt.storage.S3RunScan
import java.nio.file.Files
import java.nio.file.Path
import java.time.Instant
import kotlin.system.exitProcess

/**
 * Listing many runs (`Checkpoints.runs`) against the loop a user writes without it (open each run, as
 * `Checkpoints.open` does), side by side in one JVM, alternating round by round; medians and ratios:
 * - local: [localRuns] synthetic runs (two checkpoints each, three monitors) under one directory, at two depths;
 * - S3: [s3Runs] such runs under one prefix of S3Proxy in this JVM (127.0.0.1, filesystem backend), with the number
 *   of requests each way, counted by the test class path's SDK interceptor ([LoopbackOnly]).
 *
 * Not a test. Run from the repository root (arguments: local runs, S3 runs, rounds; defaults 1000 200 5):
 * ```
 * mvn -B -q -pl s3 -am test-compile exec:exec -DskipS3Benchmark=false -Dexec.mainClass=dev.ckpt.s3.RunsBenchmarkKt -Dbench.args="1000 200 5"
 * ```
 */
fun main(args: Array<String>) {
    val localRuns = args.getOrNull(0)?.toInt() ?: 1000
    val s3Runs = args.getOrNull(1)?.toInt() ?: 200
    val rounds = args.getOrNull(2)?.toInt() ?: 5
    println("JVM ${System.getProperty("java.version")}, ${Runtime.getRuntime().availableProcessors()} processors, CPU ${cpu()}; $rounds rounds, medians")

    val root = Files.createTempDirectory("ckpt-runs-bench")
    val made = System.nanoTime()
    val localNames = (0 until localRuns).map { name(it) }
    localNames.forEachIndexed { i, run -> fill(FileRunStore(root.resolve(run)), i) }
    println("made $localRuns local runs in ${ms(System.nanoTime() - made)} ms")
    val (listed, opened) = alternate(rounds, { Checkpoints.runs(root).all.size }, { localNames.count { Checkpoints.open(root.resolve(it)).all.isNotEmpty() } })
    check(listed.second == localRuns && opened.second == localRuns) { "found ${listed.second} and ${opened.second} of $localRuns runs" }
    println("local, $localRuns runs: Checkpoints.runs ${ms(listed.first)} ms; open each run ${ms(opened.first)} ms (ratio %.2f)".format(opened.first.toDouble() / listed.first))

    val bucket = S3TestServer.newBucket("runs-bench")
    val s3Names = (0 until s3Runs).map { name(it) }
    s3Names.forEachIndexed { i, run -> fill(S3TestServer.store(bucket, "sweep/$run"), i) }
    val keys = S3TestServer.client().listObjectsV2Paginator { it.bucket(bucket).prefix("sweep/") }.contents().count()
    val (scanned, s3Opened) = alternate(
        rounds,
        { S3RunScan.list(S3TestServer.store(bucket, "sweep")).all.size },
        { s3Names.count { RunReader.open(S3TestServer.store(bucket, "sweep/$it")).checkpoints.isNotEmpty() } },
    )
    check(scanned.second == s3Runs && s3Opened.second == s3Runs) { "found ${scanned.second} and ${s3Opened.second} of $s3Runs runs" }
    val listRequests = requests { S3RunScan.list(S3TestServer.store(bucket, "sweep")) }
    val openRequests = requests { s3Names.forEach { RunReader.open(S3TestServer.store(bucket, "sweep/$it")) } }
    println("S3Proxy, $s3Runs runs ($keys keys): Checkpoints.runs ${ms(scanned.first)} ms, ${listRequests.describe()}; " +
        "open each run ${ms(s3Opened.first)} ms, ${openRequests.describe()} (ratio %.2f)".format(s3Opened.first.toDouble() / scanned.first))
    root.toFile().deleteRecursively()
    exitProcess(0) // S3Proxy's server threads would keep the JVM (and exec:exec) alive
}

/** Runs at two depths, so that the walk has directories without a manifest to pass through. */
private fun name(i: Int): String = "group-${i % 10}/lr-$i" + if (i % 2 == 0) "" else "/seed-1"

private val MONITORS = listOf("val_accuracy" to Mode.MAX, "val_loss" to Mode.MIN, "accuracy" to Mode.MAX)

/** A run of two checkpoints monitoring one of three metrics, the second of them the best. */
private fun fill(store: RunStore, i: Int) {
    val (monitor, mode) = MONITORS[i % MONITORS.size]
    val fingerprint = CheckpointPolicy.builder("e{epoch}").monitor(monitor).mode(mode).build().fingerprint()
    RunWriter.open(store, fingerprint, owner = "bench").use { writer ->
        for (epoch in 1..2) {
            val value = (i % 97) / 100.0 + epoch / 1000.0
            val facts = CheckpointFacts(
                CheckpointKind.WEIGHTS, epoch, null, epoch * 10L, mapOf(monitor to value), monitor, value, true, Instant.EPOCH,
            )
            val files = listOf(CheckpointFile("weights.bin") { ByteArray(64) { (it + epoch).toByte() } })
            writer.commit("e$epoch", facts, files, writer.planned("e$epoch", "e$epoch"))
        }
    }
}

/** Medians of [a] and [b] over [rounds] rounds, alternating, after one warm-up round each; with the last result. */
private fun alternate(rounds: Int, a: () -> Int, b: () -> Int): Pair<Pair<Long, Int>, Pair<Long, Int>> {
    a()
    b()
    val ta = ArrayList<Long>()
    val tb = ArrayList<Long>()
    var ra = 0
    var rb = 0
    repeat(rounds) {
        var t = System.nanoTime()
        ra = a()
        ta += System.nanoTime() - t
        t = System.nanoTime()
        rb = b()
        tb += System.nanoTime() - t
    }
    return (ta.sorted()[ta.size / 2] to ra) to (tb.sorted()[tb.size / 2] to rb)
}

private class Requests(val list: Int, val get: Int, val other: Int) {
    fun describe(): String = "$list LIST + $get GET" + if (other == 0) "" else " + $other other"
}

/** The S3 requests [block] sends, by kind (a LIST is a GET of the bucket itself). */
private fun requests(block: () -> Unit): Requests {
    val before = LoopbackOnly.sent.size
    block()
    val sent = LoopbackOnly.sent.drop(before)
    val lists = sent.count { it.method == "GET" && it.path.trim('/').count { c -> c == '/' } == 0 }
    val gets = sent.count { it.method == "GET" } - lists
    return Requests(lists, gets, sent.size - lists - gets)
}

private fun ms(nanos: Long): String = "%.1f".format(nanos / 1e6)

private fun cpu(): String = runCatching {
    Files.readAllLines(Path.of("/proc/cpuinfo")).first { it.startsWith("model name") }.substringAfter(':').trim()
}.getOrDefault("unknown")

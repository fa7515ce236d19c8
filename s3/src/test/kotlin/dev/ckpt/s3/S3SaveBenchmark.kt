package dev.ckpt.s3

import dev.ckpt.CheckpointKind
import dev.ckpt.bench.wideModel
import dev.ckpt.kotlindl.Digits
import dev.ckpt.kotlindl.ModelSnapshot
import dev.ckpt.storage.CheckpointFacts
import dev.ckpt.storage.FileRunStore
import dev.ckpt.storage.planned
import dev.ckpt.storage.RunStore
import dev.ckpt.storage.RunWriter
import java.nio.file.Files
import java.time.Instant
import kotlin.system.exitProcess

/**
 * Saves of the wide MLP (64 -> 512 -> 512 -> 10, full checkpoints with Adam's state: 22 files, 10.8 MB) to
 * S3 and to local disk, side by side in one run: ckpt's whole commit as the callback does it (snapshot files,
 * SHA-256, `checkpoint.json`, one manifest write; on disk with every fsync and the atomic rename, on S3 by the
 * marker protocol with conditional PUTs). The S3 server is S3Proxy in this JVM on 127.0.0.1, storing on the same
 * disk (jclouds' filesystem backend): the ratio is what the S3 API and the marker protocol cost over the rename
 * protocol, without a network.
 *
 * Two cases, each alternating local and S3 saves (so drifting load hits both alike), medians of each:
 * - `overwrite`: one fixed path (`latest`), replaced by every save;
 * - `new + release`: a new path per save, releasing the previous one (an epoch template with `keepLast = 1`).
 *
 * Not a test. Run from the repository root (arguments: warmup, repetitions; defaults 5 and 21):
 * ```
 * mvn -B -q -pl s3 -am test-compile exec:exec -DskipS3Benchmark=false -Dbench.args="5 21"
 * ```
 */
fun main(args: Array<String>) {
    val warmup = args.getOrNull(0)?.toInt() ?: 5
    val reps = args.getOrNull(1)?.toInt() ?: 21
    require(reps >= 5) { "repetitions: at least 5, got $reps" }
    val local = Files.createTempDirectory("ckpt-s3-bench")
    val bucket = S3TestServer.newBucket("bench")
    val client = S3TestServer.client(maxAttempts = 3)
    val model = wideModel().also { Digits.compile(it); it.fit(Digits.train(), 1, Digits.BATCH_SIZE) } // Adam's slots exist
    val config = ModelSnapshot.configurationOf(model)
    val files = ModelSnapshot.take(model, CheckpointKind.FULL, config).files()
    val bytes = files.sumOf { it.bytes().size.toLong() }
    println("wide MLP, full checkpoint: ${files.size} files, $bytes bytes; warmup $warmup, repetitions $reps, median wall time per save")
    println("S3: S3Proxy ${S3TestServer.endpoint} (filesystem backend, same disk); JVM ${System.getProperty("java.version")}")
    println()
    println(String.format("%-16s %12s %12s %10s", "case", "local ms", "S3 ms", "S3/local"))
    var n = 0
    fun facts() = CheckpointFacts(CheckpointKind.FULL, ++n, null, n.toLong(), emptyMap(), null, null, false, Instant.EPOCH)
    for (case in listOf("overwrite", "new + release")) {
        val stores: List<RunStore> = listOf(
            FileRunStore(local.resolve(case.replace(' ', '-'))),
            S3TestServer.store(bucket, "bench/${case.replace(" + ", "-")}", client),
        )
        val writers = stores.map { RunWriter.open(it, "bench") }
        val times = Array(2) { DoubleArray(reps) }
        fun save(i: Int) {
            val writer = writers[i]
            val snapshot = ModelSnapshot.take(model, CheckpointKind.FULL, config).files()
            if (case == "overwrite") {
                writer.commit("latest", facts(), snapshot, writer.planned("latest", null))
            } else {
                val previous = writer.manifest.checkpoints.map { it.path }
                writer.commit("e%05d".format(n + 1), facts(), snapshot, writer.planned("e%05d".format(n + 1), null, previous))
                writer.release().firstOrNull()?.let { throw it }
            }
        }
        repeat(warmup) { save(0); save(1) }
        for (r in 0 until reps) {
            for (k in 0..1) {
                val i = (r + k) % 2
                val start = System.nanoTime()
                save(i)
                times[i][r] = (System.nanoTime() - start) / 1e6
            }
        }
        writers.forEach { it.close() }
        val (localMs, s3Ms) = times.map { it.sorted()[reps / 2] }
        println(String.format("%-16s %12.2f %12.2f %9.2fx", case, localMs, s3Ms, s3Ms / localMs))
    }
    model.close()
    local.toFile().deleteRecursively()
    exitProcess(0)
}

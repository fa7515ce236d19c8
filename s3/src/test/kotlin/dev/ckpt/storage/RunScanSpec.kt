package dev.ckpt.storage

import dev.ckpt.CheckpointKind
import dev.ckpt.Checkpoints
import dev.ckpt.RunList
import dev.ckpt.RunState
import dev.ckpt.core.monitor.Direction
import dev.ckpt.core.monitor.Mode
import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.s3.Faults
import dev.ckpt.s3.LoopbackOnly
import dev.ckpt.s3.S3TestServer
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import software.amazon.awssdk.core.sync.RequestBody
import java.nio.channels.FileChannel
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.StandardOpenOption
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit

/** Where runs are listed: a local directory tree, or a prefix on S3Proxy. The same cases run on both. */
private interface Place {
    /** Opens a writer of the run at [path] (relative to the root) with a policy monitoring [monitor] in [mode]. */
    fun writer(path: String, monitor: String = "val_accuracy", mode: Mode = Mode.MAX, hook: (StorageStep) -> Unit = {}): RunWriter

    /** Writes [text] at [path] under the root, as a file or an object nobody's run owns. */
    fun put(path: String, text: String)

    fun list(): RunList

    /** The location of the run at [path], as listings name it. */
    fun location(path: String): String
}

private class LocalPlace(val root: Path) : Place {
    override fun writer(path: String, monitor: String, mode: Mode, hook: (StorageStep) -> Unit): RunWriter =
        RunWriter.open(FileRunStore(root.resolve(path)), fingerprint(monitor, mode), FIXED_CLOCK, "trainer $path", hook)

    override fun put(path: String, text: String) {
        Files.createDirectories(root.resolve(path).parent)
        Files.writeString(root.resolve(path), text)
    }

    override fun list(): RunList = Checkpoints.runs(root)

    override fun location(path: String): String = root.resolve(path).toString()
}

private class S3Place(val bucket: String = S3TestServer.newBucket("runs")) : Place {
    private val client = S3TestServer.client()

    override fun writer(path: String, monitor: String, mode: Mode, hook: (StorageStep) -> Unit): RunWriter =
        RunWriter.open(S3TestServer.store(bucket, "root/$path"), fingerprint(monitor, mode), FIXED_CLOCK, "trainer $path", hook)

    override fun put(path: String, text: String) {
        client.putObject({ it.bucket(bucket).key("root/$path") }, RequestBody.fromString(text))
    }

    override fun list(): RunList = S3RunScan.list(S3TestServer.store(bucket, "root"))

    override fun location(path: String): String = "s3://$bucket/root/$path"
}

private fun fingerprint(monitor: String, mode: Mode): String =
    CheckpointPolicy.builder("e{epoch}").monitor(monitor).mode(mode).build().fingerprint()

/** Commits [path] as the new best with [value] of [monitor]. */
private fun RunWriter.best(path: String, epoch: Int, value: Double, monitor: String = "val_accuracy") {
    val facts = CheckpointFacts(
        kind = CheckpointKind.WEIGHTS, epoch = epoch, batch = null, step = epoch * 10L, metrics = mapOf(monitor to value),
        monitor = monitor, monitorValue = value, best = true, createdAt = FIXED_CLOCK.instant(),
    )
    commit(path, facts, model("v$epoch"), planned(path, path))
}

/** A finished run at [path]: [values] one epoch each, the last the best only if it is. */
private fun Place.run(path: String, vararg values: Double, monitor: String = "val_accuracy", mode: Mode = Mode.MAX) {
    writer(path, monitor, mode).use { w -> values.forEachIndexed { i, v -> w.best("e${i + 1}", i + 1, v, monitor) } }
}

/** Listing runs (`Checkpoints.runs`) on a local tree and on S3: the same cases, the same answers. */
class RunScanSpec : FunSpec({
    val places = listOf<Pair<String, () -> Place>>(
        "local" to { LocalPlace(Files.createTempDirectory("ckpt-runs")) },
        "s3" to { S3Place() },
    )

    for ((name, newPlace) in places) {
        context(name) {
            test("runs at any depth are found, and directories without a manifest are not runs") {
                val place = newPlace()
                place.run("a", 0.5)
                place.run("b/c/d", 0.7)
                place.run("e/f", 0.6, 0.9)
                place.put("notes/readme.txt", "not a run")
                place.put("b/other/data.csv", "1,2,3")
                val runs = place.list()
                runs.all.map { it.path } shouldBe listOf("a", "b/c/d", "e/f")
                runs.all.map { it.state } shouldBe listOf(RunState.STOPPED, RunState.STOPPED, RunState.STOPPED)
                val ef = runs.all.last()
                ef.location shouldBe place.location("e/f")
                ef.checkpoints shouldBe 2
                ef.latestEpoch shouldBe 2
                ef.latestStep shouldBe 20L
                ef.bestPath shouldBe "e2"
                ef.bestLocation shouldBe place.location("e/f") + "/e2"
                runs.groups.single().runs.map { it.path } shouldBe listOf("e/f", "b/c/d", "a")
                runs.best().path shouldBe "e/f"
            }

            test("an empty root lists no run, and best() says there is none") {
                val place = newPlace()
                place.put("unrelated/file.txt", "x")
                val runs = place.list()
                runs.all.shouldBeEmpty()
                runs.groups.shouldBeEmpty()
                shouldThrow<NoSuchElementException> { runs.best() }.message shouldContain "no run under"
            }

            test("a damaged manifest is named with its reason, and the runs beside it are listed and ranked") {
                val place = newPlace()
                place.run("good1", 0.4)
                place.put("broken/manifest.json", "{ not json")
                place.run("good2", 0.8)
                val runs = place.list()
                runs.all.map { it.path to it.state } shouldBe listOf(
                    "broken" to RunState.DAMAGED, "good1" to RunState.STOPPED, "good2" to RunState.STOPPED,
                )
                runs.damaged.single().problem!! shouldContain place.location("broken") + "/manifest.json"
                runs.groups.single().runs.map { it.path } shouldBe listOf("good2", "good1")
                runs.best().path shouldBe "good2"
            }

            test("runs with different monitors are grouped, each ranked in its own direction, never against each other") {
                val place = newPlace()
                place.run("acc/low", 0.90)
                place.run("acc/high", 0.95)
                place.run("loss/high", 0.30, monitor = "val_loss", mode = Mode.MIN)
                place.run("loss/low", 0.20, monitor = "val_loss", mode = Mode.MIN)
                val runs = place.list()
                runs.groups.map { it.label } shouldBe listOf("val_accuracy (max)", "val_loss (min)")
                runs.groups.map { g -> g.runs.map { it.path } } shouldBe listOf(listOf("acc/high", "acc/low"), listOf("loss/low", "loss/high"))
                runs.groups[1].direction shouldBe Direction.MIN
                shouldThrow<IllegalArgumentException> { runs.best() }.message shouldContain
                    "monitor different metrics, which ckpt does not rank against each other: val_accuracy (max): 2 run(s); val_loss (min): 2 run(s)"
                runs.best("val_loss").path shouldBe "loss/low"
                runs.best("val_accuracy").bestValue shouldBe 0.95
            }

            test("a run whose commit is in progress is training, never damaged, and stopped once its writer closes") {
                val place = newPlace()
                place.run("done", 0.5)
                val inside = CountDownLatch(1)
                val release = CountDownLatch(1)
                val writer = place.writer("live") { step ->
                    if (step == StorageStep.WRITE_METADATA) {
                        inside.countDown()
                        release.await()
                    }
                }
                val pool = Executors.newSingleThreadExecutor()
                try {
                    val commit = pool.submit { writer.best("e1", 1, 0.7) }
                    inside.await(60, TimeUnit.SECONDS) shouldBe true
                    // On S3 the pending commit marker says so while it is younger than the lease duration (60 s), far
                    // more than this test needs between its PUT and the listing.
                    val during = place.list()
                    during.all.map { it.path to it.state } shouldBe listOf("done" to RunState.STOPPED, "live" to RunState.TRAINING)
                    during.all.last().problem shouldBe null
                    during.all.last().writer!!.isNotEmpty() shouldBe true
                    release.countDown()
                    commit.get(60, TimeUnit.SECONDS)
                } finally {
                    release.countDown()
                    pool.shutdown()
                }
                writer.close()
                val after = place.list().all.single { it.path == "live" }
                after.state shouldBe RunState.STOPPED
                after.bestValue shouldBe 0.7
            }
        }
    }

    context("local only") {
        test("a run whose lock another process holds is training, between two saves too") {
            val root = Files.createTempDirectory("ckpt-runs")
            val place = LocalPlace(root)
            place.run("r", 0.5)
            // The lock another process would hold: taken here without ckpt's in-process registry.
            // Written through the locking channel: closing any other channel on the file would release the lock.
            FileChannel.open(root.resolve("r/run.lock"), StandardOpenOption.READ, StandardOpenOption.WRITE).use { channel ->
                channel.lock()
                channel.truncate(0)
                channel.write(java.nio.ByteBuffer.wrap("pid 4242 (user other)\n".toByteArray()), 0)
                val listed = place.list().all.single()
                listed.state shouldBe RunState.TRAINING
                listed.writer shouldBe "pid 4242 (user other)"
            }
        }

        test("a run whose writer is open in this process is training between two saves, and its writer is named") {
            val place = LocalPlace(Files.createTempDirectory("ckpt-runs"))
            place.writer("r").use { w ->
                w.best("e1", 1, 0.5)
                val listed = place.list().all.single()
                listed.state shouldBe RunState.TRAINING
                listed.writer shouldBe "a writer in this process"
            }
        }

        test("a damaged manifest of a run whose writer holds it shows as training, with the problem said") {
            val root = Files.createTempDirectory("ckpt-runs")
            val place = LocalPlace(root)
            place.writer("r").use {
                Files.writeString(root.resolve("r/manifest.json"), "{ torn")
                val listed = place.list().all.single()
                listed.state shouldBe RunState.TRAINING
                listed.problem!! shouldContain root.resolve("r/manifest.json").toString()
            }
        }

        test("a root that is not a directory is refused naming it") {
            val missing = Files.createTempDirectory("ckpt-runs").resolve("nope")
            shouldThrow<java.nio.file.NoSuchFileException> { Checkpoints.runs(missing) }.message shouldContain missing.toString()
        }
    }

    context("s3 only") {
        test("listing reads one LIST page per 1,000 keys and one GET per run, nothing else") {
            val place = S3Place()
            repeat(3) { place.run("r$it", 0.1 * it) }
            val before = LoopbackOnly.sent.size
            place.list().all.size shouldBe 3
            val sent = LoopbackOnly.sent.drop(before).filter { place.bucket in it.path || it.path == "/${place.bucket}" }
            sent.count { it.method == "GET" && it.path.endsWith("/manifest.json") } shouldBe 3
            sent.size shouldBe 4
        }

        test("a run on a server without conditional writes is training while its lease is live") {
            val place = S3Place()
            Faults.ignoreConditionalWrites(place.bucket)
            place.writer("r").use { w ->
                w.best("e1", 1, 0.5)
                val listed = place.list().all.single()
                listed.state shouldBe RunState.TRAINING
                listed.writer!! shouldContain "trainer r, lease until"
            }
            place.list().all.single().state shouldBe RunState.STOPPED
        }
    }
})

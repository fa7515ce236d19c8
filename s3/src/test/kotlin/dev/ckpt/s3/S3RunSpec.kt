package dev.ckpt.s3

import dev.ckpt.CorruptRunException
import dev.ckpt.RunLockedException
import dev.ckpt.storage.Codecs
import dev.ckpt.storage.FIXED_CLOCK
import dev.ckpt.storage.LeaseRecord
import dev.ckpt.storage.Manifest
import dev.ckpt.storage.PendingWrite
import dev.ckpt.storage.RunReader
import dev.ckpt.storage.RunWriter
import dev.ckpt.storage.S3Formats
import dev.ckpt.storage.SimulatedCrash
import dev.ckpt.storage.StorageJson
import dev.ckpt.storage.StorageStep
import dev.ckpt.storage.WriterClaim
import dev.ckpt.storage.crashAt
import dev.ckpt.storage.leftovers
import dev.ckpt.storage.save
import dev.ckpt.storage.snapshot
import dev.ckpt.storage.storedVersions
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.collections.shouldNotBeEmpty
import io.kotest.matchers.collections.shouldNotContain
import io.kotest.matchers.longs.shouldBeGreaterThan
import io.kotest.matchers.maps.shouldContainKey
import io.kotest.matchers.maps.shouldNotContainKey
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import kotlinx.serialization.json.jsonObject
import software.amazon.awssdk.core.sync.RequestBody
import java.io.ByteArrayOutputStream
import java.io.IOException
import java.io.PrintStream
import java.nio.file.Files
import java.nio.file.Path
import java.time.Instant

/**
 * What a run on S3 does beyond the storage contract ([S3StorageTest]): one writer (conditional writes, or a lease
 * where the server ignores them), versions beside an overwritten checkpoint, faults on the server, recovery from
 * pending markers, and keys that would leave the run.
 */
class S3RunSpec : FunSpec({
    val client = S3TestServer.client()

    fun bucketDir(bucket: String): Path = S3TestServer.bucketDirectory(bucket)

    fun open(bucket: String, owner: String, leaseSeconds: Long = 60, log: (String) -> Unit = {}, hook: (StorageStep) -> Unit = {}): RunWriter =
        RunWriter.open(S3TestServer.store(bucket, leaseSeconds = leaseSeconds), "fp-1", FIXED_CLOCK, owner, hook, log)

    fun reader(bucket: String): RunReader = RunReader.open(S3TestServer.store(bucket))

    fun content(run: RunReader, path: String, file: String = "model.json"): String =
        String(run.store.readFile(path, run.manifest.entry(path)!!.checkpointSha256, file))

    fun putObject(bucket: String, key: String, text: String) {
        client.putObject({ it.bucket(bucket).key(key) }, RequestBody.fromString(text))
    }

    context("one writer, by conditional writes") {
        test("a writer that was taken over fails at its next save, naming the run and the new writer; nothing of its save remains") {
            val bucket = S3TestServer.newBucket("takeover")
            val first = open(bucket, "trainer A (pid 1)")
            first.save("e01", 1, "a1")
            val second = open(bucket, "trainer B (pid 2)")
            val error = shouldThrow<RunLockedException> { first.save("e02", 2, "a2") }
            error.run shouldBe "s3://$bucket/runs/x"
            error.holder shouldBe "trainer B (pid 2)"
            error.message shouldBe "run s3://$bucket/runs/x was taken over by another writer (trainer B (pid 2)), which opened it " +
                "after this one last wrote manifest.json; this writer stops writing to it, so that two writers never both commit " +
                "to one run: let one training write the run, or give each its own"
            // Once told, it writes nothing more: no retried save, no history line in the new writer's run.
            shouldThrow<RunLockedException> { first.save("e03", 3, "a3") }.holder shouldBe "trainer B (pid 2)"
            shouldThrow<RunLockedException> {
                first.appendHistory(dev.ckpt.storage.HistoryLine(2, 2, mapOf("loss" to 0.5), listOf("e02"), java.time.Instant.EPOCH))
            }
            bucketDir(bucket).resolve("runs/x/history.jsonl").toFile().exists() shouldBe false
            second.save("e02", 2, "b2")
            first.close()
            second.close()
            val run = reader(bucket)
            run.checkpoints.map { it.path } shouldContainExactly listOf("e01", "e02")
            content(run, "e02") shouldBe "b2"
            run.verify().allOk shouldBe true
            run.manifest.writer?.owner shouldBe "trainer B (pid 2)"
            storedVersions(bucketDir(bucket).resolve("runs/x")).size shouldBe 2
            leftovers(bucketDir(bucket)).shouldBeEmpty()
        }

        test("of two writers creating a run at the same moment, the conditional create lets one win and refuses the other by name") {
            val bucket = S3TestServer.newBucket("create-race")
            val a = S3TestServer.store(bucket).also { it.lock("A") }
            val b = S3TestServer.store(bucket).also { it.lock("B") }
            a.readManifest() shouldBe null
            b.readManifest() shouldBe null
            a.replaceManifest(Codecs.encode(Manifest(runId = "r", policySettings = "fp", writer = WriterClaim("trainer A", "1")))) {}
            val error = shouldThrow<RunLockedException> {
                b.replaceManifest(Codecs.encode(Manifest(runId = "r", policySettings = "fp", writer = WriterClaim("trainer B", "2")))) {}
            }
            error.holder shouldBe "trainer A"
            Codecs.decodeManifest("m", Files.readAllBytes(bucketDir(bucket).resolve("runs/x/manifest.json"))).writer?.owner shouldBe "trainer A"
        }

        test("an object that appears while a checkpoint is written fails the save instead of being overwritten") {
            val bucket = S3TestServer.newBucket("appears")
            val planted = "runs/x/e01/variables/dense.kernel"
            val hook: (StorageStep) -> Unit = { if (it == StorageStep.WRITE_FILES) putObject(bucket, planted, "someone else's") }
            open(bucket, "trainer A", hook = hook).use { w ->
                shouldThrow<IOException> { w.save("e01", 1) }.message shouldContain
                    "s3://$bucket/$planted appeared while ckpt was about to write it: another writer is writing this run, and ckpt never overwrites an object"
                w.manifest.checkpoints.shouldBeEmpty()
            }
            val files = snapshot(bucketDir(bucket).resolve("runs/x"))
            files["e01/variables/dense.kernel"] shouldBe "someone else's"
            files shouldNotContainKey "e01/model.json"
            leftovers(bucketDir(bucket)).shouldBeEmpty()
        }

        test("a large object refused before the server reads it (the client sees a broken connection) still fails as appeared") {
            val bucket = S3TestServer.newBucket("appears-large")
            val planted = "runs/x/e01/variables/dense.kernel"
            val hook: (StorageStep) -> Unit = { if (it == StorageStep.WRITE_FILES) putObject(bucket, planted, "someone else's") }
            val large = listOf(dev.ckpt.storage.CheckpointFile("variables/dense.kernel") { ByteArray(2 shl 20) { it.toByte() } })
            open(bucket, "trainer A", hook = hook).use { w ->
                shouldThrow<IOException> { w.save("e01", 1, files = large) }.message shouldContain "$planted appeared while ckpt was about to write it"
            }
            Files.readString(bucketDir(bucket).resolve(planted)) shouldBe "someone else's"
        }

        test("a writer taken over is told so also when the server refuses its large manifest before reading it") {
            val bucket = S3TestServer.newBucket("takeover-large")
            val metrics = (1..4000).associate { "metric_$it" to it / 7.0 } + ("val_accuracy" to 0.5)
            val first = open(bucket, "trainer A")
            first.save("e01", 1, metrics = metrics)
            Files.size(bucketDir(bucket).resolve("runs/x/manifest.json")) shouldBeGreaterThan 100_000L
            open(bucket, "trainer B").use { }
            shouldThrow<RunLockedException> { first.save("e02", 2, metrics = metrics) }.holder shouldBe "trainer B"
            first.close()
            reader(bucket).checkpoints.map { it.path } shouldContainExactly listOf("e01")
        }

        test("every manifest write of a run on S3 records the writer's claim; file-system runs do not carry one") {
            val bucket = S3TestServer.newBucket("claim")
            open(bucket, "trainer A (pid 1)").use { it.save("e01", 1) }
            val manifest = StorageJson.parseToJsonElement(Files.readString(bucketDir(bucket).resolve("runs/x/manifest.json"))).jsonObject
            manifest["writer"]!!.jsonObject.keys shouldContainExactly setOf("owner", "token")
            reader(bucket).manifest.writer!!.owner shouldBe "trainer A (pid 1)"
            dev.ckpt.storage.DefaultSandbox().use { box ->
                box.writer().use { it.save("e01", 1) }
                StorageJson.parseToJsonElement(Files.readString(box.run.resolve("manifest.json"))).jsonObject.keys shouldNotContain "writer"
            }
        }
    }

    context("one writer, by a lease, where the server ignores conditional writes") {
        fun leaseBucket(): String = S3TestServer.newBucket("lease").also { Faults.ignoreConditionalWrites(it) }

        test("opening says the server ignores conditional writes and takes a lease that a second writer is refused by") {
            val bucket = leaseBucket()
            // A 60 s lease (renewed while A writes) must still be held when B tries: far longer than the test runs even on
            // a busy machine, where a 3 s lease could lapse between renewals.
            val (first, warnings) = captureStderr { open(bucket, "trainer A (pid 1)", leaseSeconds = 60) }
            warnings shouldContain "the S3 server of s3://$bucket/runs/x does not honour conditional writes (If-None-Match / If-Match " +
                "were ignored on a probe object): ckpt keeps other writers out of this run with a lease object, " +
                "s3://$bucket/runs/x/run.lock, renewed while this writer runs and expiring 60 s after it stops; unlike conditional " +
                "writes, a lease cannot stop two writers that start at the same moment (docs/storage.md)"
            first.use {
                val lease = S3Formats.decodeLease("run.lock", Files.readAllBytes(bucketDir(bucket).resolve("runs/x/run.lock")))
                lease.owner shouldBe "trainer A (pid 1)"
                val error = shouldThrow<RunLockedException> { open(bucket, "trainer B (pid 2)", leaseSeconds = 60) }
                error.holder!! shouldStartWith "trainer A (pid 1), lease until "
                error.message shouldContain "run s3://$bucket/runs/x is already open for writing by trainer A (pid 1), lease until"
                first.save("e01", 1)
            }
            Files.exists(bucketDir(bucket).resolve("runs/x/run.lock")) shouldBe false
            open(bucket, "trainer B (pid 2)", leaseSeconds = 60).use { it.save("e02", 2) }
            reader(bucket).checkpoints.map { it.path } shouldContainExactly listOf("e01", "e02")
        }

        test("the lease of a writer that died expires, and the next writer takes the run") {
            val bucket = leaseBucket()
            val stale = LeaseRecord("a crashed trainer", "0123456789abcdef", Instant.now().minusSeconds(5))
            putObject(bucket, "runs/x/run.lock", S3Formats.encode(stale).toString(Charsets.UTF_8))
            open(bucket, "trainer B", leaseSeconds = 3).use { w ->
                S3Formats.decodeLease("run.lock", Files.readAllBytes(bucketDir(bucket).resolve("runs/x/run.lock"))).owner shouldBe "trainer B"
                w.save("e01", 1)
            }
            reader(bucket).manifest.writer!!.owner shouldBe "trainer B"
        }

        test("a writer whose lease another writer took fails at its next save") {
            val bucket = leaseBucket()
            open(bucket, "trainer A", leaseSeconds = 30).use { w ->
                w.save("e01", 1)
                val taker = LeaseRecord("trainer C (pid 3)", "fedcba9876543210", Instant.now().plusSeconds(30))
                putObject(bucket, "runs/x/run.lock", S3Formats.encode(taker).toString(Charsets.UTF_8))
                shouldThrow<RunLockedException> { w.save("e02", 2) }.holder!! shouldStartWith "trainer C (pid 3), lease until "
            }
            reader(bucket).checkpoints.map { it.path } shouldContainExactly listOf("e01")
        }
    }

    context("overwriting a fixed path") {
        test("versions alternate between the path and a prefix beside it; exactly one is stored and it is the listed one") {
            val bucket = S3TestServer.newBucket("overwrite")
            val root = bucketDir(bucket).resolve("runs/x")
            open(bucket, "t").use { w ->
                for (version in 1..4) {
                    w.save("best", version, "v$version", best = true)
                    val stored = storedVersions(root)
                    stored.size shouldBe 1
                    if (version % 2 == 1) stored.single() shouldBe "best/checkpoint.json" else stored.single() shouldStartWith ".best.ckpt-ver-"
                    content(w.reader(), "best") shouldBe "v$version"
                }
            }
            reader(bucket).verify().allOk shouldBe true
        }

        test("a reader opened while an overwrite is unrecorded reads the listed version from beside its path; the next writer removes the other") {
            val bucket = S3TestServer.newBucket("overwrite-crash")
            open(bucket, "t").use { w ->
                w.save("best", 1, "v1", best = true)
                w.save("best", 2, "v2", best = true) // stored beside: .best.ckpt-ver-<hex>
            }
            val crashed = open(bucket, "t", hook = crashAt(StorageStep.PUT_MANIFEST))
            shouldThrow<SimulatedCrash> { crashed.save("best", 3, "v3", best = true) } // written in place, unrecorded
            crashed.close()
            val root = bucketDir(bucket).resolve("runs/x")
            Files.readString(root.resolve("best/model.json")) shouldBe "v3"
            val run = reader(bucket)
            content(run, "best") shouldBe "v2"
            run.verify().allOk shouldBe true
            open(bucket, "t").use { }
            storedVersions(root).single() shouldStartWith ".best.ckpt-ver-"
            Files.exists(root.resolve("best")) shouldBe false
            content(reader(bucket), "best") shouldBe "v2"
        }
    }

    context("faults on the server") {
        test("a PUT that fails mid-checkpoint fails the save, and the writer removes what the save had written") {
            val bucket = S3TestServer.newBucket("put-fault")
            open(bucket, "t").use { w ->
                w.save("e01", 1)
                Faults.failPut(bucket, nth = 2) { "/e02/" in it }
                val error = shouldThrow<IOException> { w.save("e02", 2) }
                error.message shouldContain "could not save checkpoint s3://$bucket/runs/x/e02: PUT s3://$bucket/runs/x/e02/"
                error.message shouldContain "S3 answered 500"
                Faults.injected(bucket) shouldBe 1
            }
            Faults.clear(bucket)
            val files = snapshot(bucketDir(bucket).resolve("runs/x")).keys
            files.filter { it.startsWith("e02") }.shouldBeEmpty()
            leftovers(bucketDir(bucket)).shouldBeEmpty()
            reader(bucket).checkpoints.map { it.path } shouldContainExactly listOf("e01")
        }

        test("when the cleanup fails too, readers ignore the partial checkpoint and the next writer removes it") {
            val bucket = S3TestServer.newBucket("partial")
            open(bucket, "t").use { w ->
                w.save("e01", 1)
                Faults.failPut(bucket, nth = 2) { "/e02/" in it }
                Faults.failDeletes(bucket)
                shouldThrow<IOException> { w.save("e02", 2) }
                Faults.clear(bucket)
            }
            val root = bucketDir(bucket).resolve("runs/x")
            snapshot(root) shouldContainKey "e02/model.json"
            leftovers(root).size shouldBe 1 // the marker of the interrupted write
            val run = reader(bucket)
            run.checkpoints.map { it.path } shouldContainExactly listOf("e01")
            run.verify().allOk shouldBe true
            val log = ArrayList<String>()
            open(bucket, "next", log = { log += it }).use { }
            log shouldContainExactly listOf("removed e02, the objects of a write of e02 that ended before manifest.json recorded it")
            snapshot(root).keys.filter { it.startsWith("e02") }.shouldBeEmpty()
            leftovers(root).shouldBeEmpty()
        }
    }

    context("recovery and keys that would leave the run") {
        test("opening a writer removes an interrupted write's marker and exactly the objects it lists; nothing unmarked or alike") {
            val bucket = S3TestServer.newBucket("recover")
            open(bucket, "t").use { it.save("e01", 1) }
            val runId = reader(bucket).manifest.runId
            val pending = PendingWrite(runId = runId, path = "e02", storedAt = "e02", files = listOf("model.json", "checkpoint.json"), replaces = emptyList(), writer = "t")
            putObject(bucket, "runs/x/.e02.ckpt-tmp-0123456789abcdef", S3Formats.encode(pending).toString(Charsets.UTF_8))
            putObject(bucket, "runs/x/e02/model.json", "partial")
            putObject(bucket, "runs/x/e02/notes.txt", "the user's")
            val lookalikes = listOf("e02.ckpt-tmp-0123456789abcdef", ".e02.ckpt-tmp-xyz", ".e02.ckpt-old-0123456789abcdef", ".e03.ckpt-tmp-00000000000000ff")
            lookalikes.forEach { putObject(bucket, "runs/x/$it", "{") }
            open(bucket, "t").use { }
            val after = snapshot(bucketDir(bucket).resolve("runs/x"))
            after shouldNotContainKey ".e02.ckpt-tmp-0123456789abcdef"
            after shouldNotContainKey "e02/model.json"
            after["e02/notes.txt"] shouldBe "the user's"
            lookalikes.forEach { after[it] shouldBe "{" }
        }

        test("a marker that names objects outside its checkpoint is left in place, and they survive") {
            val bucket = S3TestServer.newBucket("hostile-marker")
            open(bucket, "t").use { it.save("e01", 1) }
            putObject(bucket, "runs/victim/model.json", "precious")
            val hostile = """{"formatVersion": 2, "runId": null, "path": "e02", "storedAt": "../victim", "files": ["model.json", "checkpoint.json"],
                |"replaces": [], "writer": "x"}""".trimMargin()
            putObject(bucket, "runs/x/.e02.ckpt-tmp-0123456789abcdef", hostile)
            val (_, warnings) = captureStderr { open(bucket, "t").use { } }
            warnings shouldContain "left s3://$bucket/runs/x/.e02.ckpt-tmp-0123456789abcdef in place"
            Files.readString(bucketDir(bucket).resolve("runs/victim/model.json")) shouldBe "precious"
        }

        context("a manifest listing a checkpoint outside the run is refused before anything is read there") {
            withData(
                mapOf(
                    "a parent directory" to ("../victim" to "must not contain \"..\""),
                    "an absolute key" to ("/runs/victim" to "must be relative"),
                    "another bucket" to ("s3://other-bucket/runs/victim" to "must not contain empty segments"),
                ),
            ) { (path, expected) ->
                val bucket = S3TestServer.newBucket("hostile-manifest")
                open(bucket, "t").use { it.save("e01", 1) }
                val file = bucketDir(bucket).resolve("runs/x/manifest.json")
                Files.writeString(file, Files.readString(file).replace("\"e01\"", "\"$path\""))
                val before = LoopbackOnly.sent.size
                val error = shouldThrow<CorruptRunException> { reader(bucket) }
                error.file shouldBe "s3://$bucket/runs/x/manifest.json"
                error.message shouldContain expected
                val paths = LoopbackOnly.sent.drop(before).map { it.path }
                paths.shouldNotBeEmpty()
                paths.filter { !it.startsWith("/$bucket") || "victim" in it || "other-bucket" in it }.shouldBeEmpty()
            }
        }
    }

    test("every request went to 127.0.0.1, and a client aimed anywhere else is refused before it sends anything") {
        LoopbackOnly.sent.shouldNotBeEmpty()
        LoopbackOnly.sent.map { it.host }.toSet() shouldBe setOf("127.0.0.1")
        val elsewhere = software.amazon.awssdk.services.s3.S3Client.builder()
            .endpointOverride(java.net.URI.create("http://192.0.2.1:9000")).forcePathStyle(true)
            .region(software.amazon.awssdk.regions.Region.US_EAST_1)
            .credentialsProvider { software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create("a", "b") }
            .httpClient(software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient.create())
            .build()
        val refusedBefore = LoopbackOnly.refused.size
        val error = shouldThrow<IllegalStateException> { elsewhere.listObjectsV2 { it.bucket("x") } }
        error.message shouldContain "refused an S3 request to 192.0.2.1"
        LoopbackOnly.refused.size shouldBe refusedBefore + 1
        LoopbackOnly.sent.map { it.host }.toSet() shouldBe setOf("127.0.0.1")
    }
})

/** Runs [block] with `System.err` captured (where SLF4J's simple logger writes ckpt's warnings in tests). */
internal fun <T> captureStderr(block: () -> T): Pair<T, String> {
    val saved = System.err
    val buffer = ByteArrayOutputStream()
    System.setErr(PrintStream(buffer, true, Charsets.UTF_8))
    val result = try {
        block()
    } finally {
        System.setErr(saved)
    }
    val text = buffer.toString(Charsets.UTF_8)
    saved.print(text)
    return result to text.replace(Regex("\\s*\\n\\s*"), " ")
}

package dev.ckpt.s3

import dev.ckpt.CheckpointStatus
import dev.ckpt.kotlindl.FloatText
import dev.ckpt.kotlindl.RawDigest
import dev.ckpt.storage.CheckpointFile
import dev.ckpt.storage.FIXED_CLOCK
import dev.ckpt.storage.RunReader
import dev.ckpt.storage.RunWriter
import dev.ckpt.storage.save
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeInstanceOf
import software.amazon.awssdk.core.sync.RequestBody
import java.io.IOException
import java.nio.FloatBuffer

/**
 * On S3, a file the previous checkpoint holds unchanged ([CheckpointFile.reuse]) is placed by a server-side copy
 * (CopyObject) instead of a PUT of its bytes; the new checkpoint's object is its own, so it outlives the source.
 * Requests are counted by [LoopbackOnly]: a CopyObject is a PUT carrying `x-amz-copy-source`.
 */
class S3ReuseSpec : FunSpec({
    val client = S3TestServer.client()

    fun variables(values: Map<String, FloatArray>): List<CheckpointFile> = values.map { (name, floats) ->
        CheckpointFile("$name.txt", rawDigest = { RawDigest.of(FloatBuffer.wrap(floats)) }) { FloatText.format(FloatBuffer.wrap(floats)) }
    }

    val frozen = FloatArray(300) { it * 0.25f - 7f }
    val embedding = FloatArray(40) { it / 3f }
    fun head(epoch: Int) = FloatArray(20) { it + epoch / 8f }
    fun model(epoch: Int) = variables(mapOf("frozen" to frozen, "embedding" to embedding, "head" to head(epoch)))

    fun open(bucket: String, warn: (String) -> Unit = {}): RunWriter =
        RunWriter.open(S3TestServer.store(bucket), "fp-1", FIXED_CLOCK, "trainer (pid 1)", warn = warn)

    /** The PUTs (CopyObject included) [block] sends to [bucket]'s keys, with their header names. */
    fun puts(bucket: String, block: () -> Unit): List<LoopbackOnly.Sent> {
        val before = LoopbackOnly.sent.size
        block()
        return LoopbackOnly.sent.drop(before).filter { it.method == "PUT" && it.path.startsWith("/$bucket/") }
    }

    fun copies(sent: List<LoopbackOnly.Sent>) = sent.filter { "x-amz-copy-source" in it.headers }.map { it.path.substringAfterLast("/runs/x/") }
    fun uploads(sent: List<LoopbackOnly.Sent>) = sent.filter { "x-amz-copy-source" !in it.headers }.map { it.path.substringAfterLast("/runs/x/") }

    fun bits(floats: FloatArray): List<Int> = floats.map { it.toRawBits() }

    /** The floats of [file] in the listed checkpoint [path], read back through the store as a restore reads them. */
    fun restored(bucket: String, path: String, file: String, count: Int): List<Int> {
        val run = RunReader.open(S3TestServer.store(bucket))
        val parsed = FloatText.parse(run.store.readFile(path, run.manifest.entry(path)!!.checkpointSha256, file), count, file)
        return List(parsed.remaining()) { parsed.get(it).toRawBits() }
    }

    /** The object keys under [prefix], without the folder placeholders S3Proxy's filesystem backend lists. */
    fun keys(bucket: String, prefix: String): List<String> =
        client.listObjectsV2Paginator { it.bucket(bucket).prefix(prefix) }.contents().map { it.key() }.filter { !it.endsWith("/") }

    test("unchanged files are copied server-side, the changed one is PUT; after retention deletes the source, the copy verifies and restores bit for bit") {
        val bucket = S3TestServer.newBucket("reuse")
        open(bucket).use { w ->
            w.save("e01", 1, files = model(1))
            val sent = puts(bucket) { w.save("e02", 2, files = model(2), release = listOf("e01")) }
            copies(sent) shouldContainExactly listOf("e02/frozen.txt", "e02/embedding.txt")
            // Every copy asks for the same create-only condition the PUTs it replaces have.
            sent.filter { "x-amz-copy-source" in it.headers }.forEach { ("if-none-match" in it.headers) shouldBe true }
            uploads(sent).filter { it.startsWith("e02/") } shouldContainExactly listOf("e02/head.txt", "e02/checkpoint.json")
            w.release().shouldBeEmpty()
        }
        keys(bucket, "runs/x/e01/").shouldBeEmpty()
        val run = RunReader.open(S3TestServer.store(bucket))
        run.manifest.checkpoints.map { it.path } shouldContainExactly listOf("e02")
        run.verify().allOk shouldBe true
        restored(bucket, "e02", "frozen.txt", frozen.size) shouldBe bits(frozen)
        restored(bucket, "e02", "embedding.txt", embedding.size) shouldBe bits(embedding)
        restored(bucket, "e02", "head.txt", 20) shouldBe bits(head(2))
    }

    test("overwriting a fixed path copies from the listed version, wherever it is stored, which then goes") {
        val bucket = S3TestServer.newBucket("reuse-best")
        open(bucket).use { w ->
            w.save("best", 1, files = model(1))
            w.save("best", 2, files = model(2))
            // The listed version is now under a version prefix beside `best`: the copy must read it from there.
            val sent = puts(bucket) { w.save("best", 3, files = model(3)) }
            copies(sent).map { it.substringAfterLast('/') } shouldContainExactly listOf("frozen.txt", "embedding.txt")
            uploads(sent).filter { it.endsWith("frozen.txt") || it.endsWith("embedding.txt") }.shouldBeEmpty()
        }
        val run = RunReader.open(S3TestServer.store(bucket))
        run.verify().allOk shouldBe true
        restored(bucket, "best", "frozen.txt", frozen.size) shouldBe bits(frozen)
        restored(bucket, "best", "head.txt", 20) shouldBe bits(head(3))
        // Only the listed version's objects remain: the replaced ones went, with nothing left behind.
        keys(bucket, "runs/x/").filter { "best" in it }.map { it.substringAfterLast('/') }.sorted() shouldContainExactly
            listOf("checkpoint.json", "embedding.txt", "frozen.txt", "head.txt")
    }

    test("a source object deleted behind ckpt's back is written anew from the bytes, not copied") {
        val bucket = S3TestServer.newBucket("reuse-gone")
        open(bucket).use { w ->
            w.save("e01", 1, files = model(1))
            client.deleteObject { it.bucket(bucket).key("runs/x/e01/frozen.txt") }
            val sent = puts(bucket) { w.save("e02", 2, files = model(2)) }
            copies(sent) shouldContainExactly listOf("e02/embedding.txt")
            uploads(sent).filter { it.startsWith("e02/") } shouldContainExactly listOf("e02/frozen.txt", "e02/head.txt", "e02/checkpoint.json")
        }
        val run = RunReader.open(S3TestServer.store(bucket))
        run.verify(run.manifest.entry("e02")!!) shouldBe CheckpointStatus.Ok
        run.verify(run.manifest.entry("e01")!!).shouldBeInstanceOf<CheckpointStatus.Incomplete>().missingFile shouldBe "frozen.txt"
        restored(bucket, "e02", "frozen.txt", frozen.size) shouldBe bits(frozen)
    }

    test("a source object replaced by one of another size is written anew, not copied") {
        val bucket = S3TestServer.newBucket("reuse-changed")
        open(bucket).use { w ->
            w.save("e01", 1, files = model(1))
            client.putObject({ it.bucket(bucket).key("runs/x/e01/frozen.txt") }, RequestBody.fromString("tampered"))
            val sent = puts(bucket) { w.save("e02", 2, files = model(2)) }
            copies(sent) shouldContainExactly listOf("e02/embedding.txt")
            uploads(sent).filter { it.startsWith("e02/") } shouldContainExactly listOf("e02/frozen.txt", "e02/head.txt", "e02/checkpoint.json")
        }
        val run = RunReader.open(S3TestServer.store(bucket))
        run.verify(run.manifest.entry("e02")!!) shouldBe CheckpointStatus.Ok
        restored(bucket, "e02", "frozen.txt", frozen.size) shouldBe bits(frozen)
    }

    test("a server that refuses the copy gets the file PUT, with a warning naming both objects") {
        val bucket = S3TestServer.newBucket("reuse-refused")
        val warnings = mutableListOf<String>()
        open(bucket) { warnings += it }.use { w ->
            w.save("e01", 1, files = model(1))
            Faults.failCopies(bucket)
            try {
                val sent = puts(bucket) { w.save("e02", 2, files = model(2)) }
                copies(sent) shouldContainExactly listOf("e02/frozen.txt", "e02/embedding.txt")
                uploads(sent).filter { it.startsWith("e02/") } shouldContainExactly
                    listOf("e02/frozen.txt", "e02/embedding.txt", "e02/head.txt", "e02/checkpoint.json")
            } finally {
                Faults.clear(bucket)
            }
        }
        warnings.filter { "server-side copy" in it }.map { it.substringBefore(" failed") } shouldContainExactly listOf(
            "the server-side copy of s3://$bucket/runs/x/e01/frozen.txt to s3://$bucket/runs/x/e02/frozen.txt",
            "the server-side copy of s3://$bucket/runs/x/e01/embedding.txt to s3://$bucket/runs/x/e02/embedding.txt",
        )
        val run = RunReader.open(S3TestServer.store(bucket))
        run.verify().allOk shouldBe true
        restored(bucket, "e02", "frozen.txt", frozen.size) shouldBe bits(frozen)
    }

    test("a commit that fails after its copies deletes them (by the ETag the copy returned) and its marker; the source stays") {
        val bucket = S3TestServer.newBucket("reuse-abandon")
        open(bucket).use { w ->
            w.save("e01", 1, files = model(1))
            Faults.failPut(bucket, 1) { it.endsWith("e02/checkpoint.json") }
            val sent = puts(bucket) { shouldThrow<IOException> { w.save("e02", 2, files = model(2)) } }
            copies(sent) shouldContainExactly listOf("e02/frozen.txt", "e02/embedding.txt")
            Faults.injected(bucket) shouldBe 1
            Faults.clear(bucket)
        }
        keys(bucket, "runs/x/e02").shouldBeEmpty()
        keys(bucket, "runs/x/").filter { ".ckpt-tmp-" in it }.shouldBeEmpty()
        val run = RunReader.open(S3TestServer.store(bucket))
        run.manifest.checkpoints.map { it.path } shouldContainExactly listOf("e01")
        run.verify().allOk shouldBe true
    }
})

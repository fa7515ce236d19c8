package dev.ckpt.storage

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.ints.shouldBeGreaterThanOrEqual
import io.kotest.matchers.ints.shouldBeLessThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path
import java.util.Collections
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger
import kotlin.io.path.name

/**
 * The commit's grouped flushes, observed through the [Fsync] seam: every file is written before the first flush,
 * the flushes are in flight together (never more than the pool's threads), the rename waits for all of them, and a
 * failed flush abandons the commit.
 *
 * Some flushes wait on a latch with a bound. Where a wait opens at once in a correct commit (flushes in flight
 * together), the bound is only reached by a broken one, and is 10 s. Where the wait IS the assertion (nothing may
 * happen while this flush is in flight), a correct commit waits the whole bound, so it is short, [HOLD_MS]; a
 * commit that breaks the rule does so within milliseconds, well under a tenth of it.
 */
class GroupedFlushSpec : FunSpec({
    /** A model of six files, one of them beside the others in a subdirectory, whose content names the version. */
    fun files(version: String): List<CheckpointFile> =
        listOf(CheckpointFile("model.json") { "{\"$version\":0}".toByteArray() }) +
            (0 until 5).map { i -> CheckpointFile("variables/v$i") { "$version-$i ".repeat(100 + i).toByteArray() } }

    fun writerOf(box: Sandbox, fsync: Fsync, hook: (StorageStep) -> Unit = {}): RunWriter =
        RunWriter.open(FileRunStore(box.run, CommitFlush.grouped(fsync)), "fp-1", FIXED_CLOCK, "test owner pid 42", hook)

    /** The temporary directory of the commit in flight for [name]. */
    fun tempOf(run: Path, name: String): Path =
        Files.list(run).use { entries -> entries.filter { it.name.startsWith(".$name.ckpt-tmp-") }.toList().single() }

    test("every file of the checkpoint and checkpoint.json are written in full before the first flush") {
        DefaultSandbox().use { box ->
            val expected = files("v1")
            var seenAtFirstFlush: Map<String, String>? = null
            val fsync = Fsync { path, directory ->
                synchronized(this) {
                    if (seenAtFirstFlush == null && !directory) {
                        val temp = tempOf(box.run, "e01")
                        seenAtFirstFlush = (expected.map { it.path } + METADATA_FILE)
                            .filter { Files.exists(temp.resolve(it)) }
                            .associateWith { String(Files.readAllBytes(temp.resolve(it))) }
                    }
                }
                Fsync.DEVICE.force(path, directory)
            }
            writerOf(box, fsync).use { it.save("e01", 1, files = expected) }
            val seen = seenAtFirstFlush!!
            seen.keys.toList() shouldContainExactly expected.map { it.path } + METADATA_FILE
            expected.forEach { seen[it.path] shouldBe String(it.bytes()) }
            seen[METADATA_FILE] shouldBe String(Files.readAllBytes(box.run.resolve("e01").resolve(METADATA_FILE)))
        }
    }

    test("the files' flushes are in flight together, at most the pool's threads at once") {
        DefaultSandbox().use { box ->
            val inFlight = AtomicInteger()
            val most = AtomicInteger()
            val two = CountDownLatch(1)
            val overPool = CountDownLatch(1)
            val firstWave = AtomicInteger()
            val fsync = Fsync { path, directory ->
                if (directory) return@Fsync Fsync.DEVICE.force(path, true)
                val now = inFlight.incrementAndGet()
                most.accumulateAndGet(now, ::maxOf)
                try {
                    if (now >= 2) two.countDown()
                    if (now > CommitFlush.POOL_SIZE) overPool.countDown()
                    // A one-by-one commit never has a second flush in flight: the bound fails it.
                    if (!two.await(10, TimeUnit.SECONDS)) throw IOException("no second flush was in flight within 10 s of $path's")
                    // The first wave holds its threads, so a commit flushing more than the pool's at once shows it.
                    if (firstWave.incrementAndGet() <= CommitFlush.POOL_SIZE) overPool.await(HOLD_MS, TimeUnit.MILLISECONDS)
                    Fsync.DEVICE.force(path, false)
                } finally {
                    inFlight.decrementAndGet()
                }
            }
            val many = (0 until 3 * CommitFlush.POOL_SIZE).map { i -> CheckpointFile("variables/w$i") { "w$i".toByteArray() } }
            writerOf(box, fsync).use { it.save("e01", 1, files = many) }
            most.get() shouldBeGreaterThanOrEqual 2
            most.get() shouldBeLessThanOrEqual CommitFlush.POOL_SIZE
            box.reader().verify().allOk shouldBe true
        }
    }

    test("the rename happens only after every file's flush and then every directory's have returned") {
        DefaultSandbox().use { box ->
            val events = Collections.synchronizedList(ArrayList<String>())
            val renamed = CountDownLatch(1)
            val fsync = Fsync { path, directory ->
                if (directory) {
                    events += if (path.toAbsolutePath().normalize() == box.run.toAbsolutePath().normalize()) "flushed run directory" else "flushed ${path.name}"
                    Fsync.DEVICE.force(path, true)
                } else {
                    // Holds this flush: a commit that renames before it returns does so while it waits.
                    if (path.name == "v3") renamed.await(HOLD_MS, TimeUnit.MILLISECONDS)
                    Fsync.DEVICE.force(path, false)
                    events += "flushed ${path.name}"
                }
            }
            val hook: (StorageStep) -> Unit = { step ->
                if (step == StorageStep.MOVE_INTO_PLACE || step == StorageStep.SYNC_PARENT) events += step.name
                if (step == StorageStep.MOVE_INTO_PLACE) renamed.countDown()
            }
            writerOf(box, fsync, hook).use { it.save("e01", 1, files = files("v1")) }
            val fileFlushes = listOf("model.json", "v0", "v1", "v2", "v3", "v4", METADATA_FILE).map { "flushed $it" }
            val temp = events.single { it.startsWith("flushed .e01.ckpt-tmp-") }
            events.take(fileFlushes.size).sorted() shouldContainExactly fileFlushes.sorted()
            events.drop(fileFlushes.size) shouldContainExactly
                listOf("flushed variables", temp, "MOVE_INTO_PLACE", "SYNC_PARENT", "flushed run directory")
        }
    }

    test("a failed flush abandons the commit: the error names the file, the old checkpoint stays, no temporary directory is left") {
        DefaultSandbox().use { box ->
            var failing = false
            val caught = CountDownLatch(1)
            val v3Returned = CountDownLatch(1)
            var v3FileGoneOnReturn: Boolean? = null
            val fsync = Fsync { path, directory ->
                if (failing && !directory && path.name == "v2") throw IOException("device error (simulated)")
                if (failing && !directory && path.name == "v3") {
                    // Holds this flush: a commit that gives up (and removes its files) before it returns does so now.
                    caught.await(HOLD_MS, TimeUnit.MILLISECONDS)
                    v3FileGoneOnReturn = !Files.exists(path)
                    v3Returned.countDown()
                }
                Fsync.DEVICE.force(path, directory)
            }
            writerOf(box, fsync).use { w ->
                w.save("e01", 1, files = files("old"))
                failing = true
                val error = shouldThrow<IOException> { w.save("e01", 2, files = files("new")) }
                caught.countDown()
                error.message shouldContain "variables/v2"
                error.message shouldContain "device error (simulated)"
            }
            v3Returned.await(10, TimeUnit.SECONDS) shouldBe true
            v3FileGoneOnReturn shouldBe false
            leftovers(box.run).shouldBeEmpty()
            val run = box.reader()
            run.checkpoints.map { it.path } shouldContainExactly listOf("e01")
            run.verify().allOk shouldBe true
            String(Files.readAllBytes(box.run.resolve("e01/variables/v2"))) shouldBe String(files("old")[3].bytes())
        }
    }
}) {
    private companion object {
        const val HOLD_MS = 1000L
    }
}

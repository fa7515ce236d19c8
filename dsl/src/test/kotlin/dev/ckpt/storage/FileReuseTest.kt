package dev.ckpt.storage

import dev.ckpt.Checkpoints
import dev.ckpt.kotlindl.FloatText
import dev.ckpt.kotlindl.RawDigest
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.property.Arb
import io.kotest.property.arbitrary.int
import io.kotest.property.arbitrary.list
import io.kotest.property.checkAll
import java.io.IOException
import java.nio.FloatBuffer
import java.nio.file.Files
import java.nio.file.Path

/**
 * Unchanged files are taken from the run's previous checkpoint ([FileReuse], [LocalReuse]): a hard link where the
 * file system makes one, a checked copy where it does not; every checkpoint stays self-contained.
 */
class FileReuseTest : FunSpec({

    /** Variable files as the snapshot makes them: formatted floats, with the digest of their bits. */
    fun variables(values: Map<String, FloatArray>): List<CheckpointFile> = values.map { (name, floats) ->
        CheckpointFile("$name.txt", rawDigest = { RawDigest.of(FloatBuffer.wrap(floats)) }) { FloatText.format(FloatBuffer.wrap(floats)) }
    }

    val frozen = FloatArray(300) { it * 0.25f - 7f }
    fun head(epoch: Int) = FloatArray(20) { it + epoch / 8f }
    fun model(epoch: Int) = variables(mapOf("frozen" to frozen, "head" to head(epoch)))

    fun file(root: Path, checkpoint: String, name: String): Path = root.resolve(checkpoint).resolve(name)

    test("an unchanged file of checkpoint N+1 is the same file as N's; a changed one is not; both verify") {
        DefaultSandbox().use { box ->
            val store = FileRunStore(box.run)
            RunWriter.open(store, "fp-1", FIXED_CLOCK).use { w ->
                w.save("e01", 1, files = model(1))
                w.save("e02", 2, files = model(2))
            }
            Files.isSameFile(file(box.run, "e01", "frozen.txt"), file(box.run, "e02", "frozen.txt")) shouldBe true
            Files.isSameFile(file(box.run, "e01", "head.txt"), file(box.run, "e02", "head.txt")) shouldBe false
            store.reuse.counts.linked shouldBe 1
            Checkpoints.open(box.run).verify().allOk shouldBe true
        }
    }

    test("checkpoint N released by the commit of N+1 is linked from first; deleting it leaves N+1 verified with the same bytes") {
        DefaultSandbox().use { box ->
            val store = FileRunStore(box.run)
            RunWriter.open(store, "fp-1", FIXED_CLOCK).use { w ->
                w.save("e01", 1, files = model(1))
                w.save("e02", 2, files = model(2), release = listOf("e01"))
                w.release().shouldBeEmpty()
            }
            store.reuse.counts.linked shouldBe 1
            Files.exists(box.run.resolve("e01")) shouldBe false
            Checkpoints.open(box.run).verify().allOk shouldBe true
            Files.readAllBytes(file(box.run, "e02", "frozen.txt")) shouldBe FloatText.format(FloatBuffer.wrap(frozen))
            FloatText.parse(Files.readAllBytes(file(box.run, "e02", "frozen.txt")), frozen.size, "frozen.txt").let { restored ->
                FloatArray(restored.remaining()) { restored.get(it) }.map { it.toRawBits() } shouldBe frozen.map { it.toRawBits() }
            }
        }
    }

    test("overwriting a fixed path links from the version it replaces, which then goes") {
        DefaultSandbox().use { box ->
            val store = FileRunStore(box.run)
            RunWriter.open(store, "fp-1", FIXED_CLOCK).use { w ->
                w.save("best", 1, files = model(1))
                val before = Files.getAttribute(file(box.run, "best", "frozen.txt"), "unix:ino")
                w.save("best", 2, files = model(2))
                Files.getAttribute(file(box.run, "best", "frozen.txt"), "unix:ino") shouldBe before
            }
            store.reuse.counts.linked shouldBe 1
            leftovers(box.run).shouldBeEmpty()
            Checkpoints.open(box.run).verify().allOk shouldBe true
            Files.readAllBytes(file(box.run, "best", "head.txt")) shouldBe FloatText.format(FloatBuffer.wrap(head(2)))
        }
    }

    test("where a hard link fails, the file is copied: a file of its own, same bytes, verified") {
        DefaultSandbox().use { box ->
            val store = FileRunStore(box.run, reuse = LocalReuse { _, _ -> throw IOException("Too many links") })
            RunWriter.open(store, "fp-1", FIXED_CLOCK).use { w ->
                w.save("e01", 1, files = model(1))
                w.save("e02", 2, files = model(2))
            }
            Files.isSameFile(file(box.run, "e01", "frozen.txt"), file(box.run, "e02", "frozen.txt")) shouldBe false
            store.reuse.counts.copied shouldBe 1
            store.reuse.counts.linked shouldBe 0
            Files.readAllBytes(file(box.run, "e02", "frozen.txt")) shouldBe Files.readAllBytes(file(box.run, "e01", "frozen.txt"))
            Checkpoints.open(box.run).verify().allOk shouldBe true
        }
    }

    test("a previous file altered since it was recorded is not inherited by the copy: it is written anew") {
        DefaultSandbox().use { box ->
            val store = FileRunStore(box.run, reuse = LocalReuse { _, _ -> throw UnsupportedOperationException("no links here") })
            RunWriter.open(store, "fp-1", FIXED_CLOCK).use { w ->
                w.save("e01", 1, files = model(1))
                val previous = file(box.run, "e01", "frozen.txt")
                val bytes = Files.readAllBytes(previous)
                bytes[0] = if (bytes[0] == '1'.code.toByte()) '2'.code.toByte() else '1'.code.toByte()
                Files.write(previous, bytes)
                w.save("e02", 2, files = model(2))
            }
            store.reuse.counts.rewritten shouldBe 1
            store.reuse.counts.copied shouldBe 0
            Files.readAllBytes(file(box.run, "e02", "frozen.txt")) shouldBe FloatText.format(FloatBuffer.wrap(frozen))
            Checkpoints.open(box.run).all.single { it.path == "e02" }.verify() shouldBe dev.ckpt.CheckpointStatus.Ok
        }
    }

    test("a previous file replaced by a symbolic link is not followed: the file is written anew, with a warning") {
        DefaultSandbox().use { box ->
            box.plantOutside()
            val warnings = ArrayList<String>()
            val store = FileRunStore(box.run)
            RunWriter.open(store, "fp-1", FIXED_CLOCK, warn = { warnings += it }).use { w ->
                w.save("e01", 1, files = model(1))
                val previous = file(box.run, "e01", "frozen.txt")
                Files.delete(previous)
                Files.createSymbolicLink(previous, box.outside.resolve("passwd"))
                w.save("e02", 2, files = model(2))
            }
            Files.isSymbolicLink(file(box.run, "e02", "frozen.txt")) shouldBe false
            Files.readAllBytes(file(box.run, "e02", "frozen.txt")) shouldBe FloatText.format(FloatBuffer.wrap(frozen))
            Files.readString(box.outside.resolve("passwd")) shouldBe "root:x:0:0"
            store.reuse.counts.linked shouldBe 0
            warnings.single() shouldContain "cannot be reused for frozen.txt"
        }
    }

    test("with reuse off every file is written") {
        DefaultSandbox().use { box ->
            val store = FileRunStore(box.run)
            RunWriter.open(store, "fp-1", FIXED_CLOCK, reuse = false).use { w ->
                w.save("e01", 1, files = model(1))
                w.save("e02", 2, files = model(2))
            }
            Files.isSameFile(file(box.run, "e01", "frozen.txt"), file(box.run, "e02", "frozen.txt")) shouldBe false
            store.reuse.counts.linked shouldBe 0
        }
    }

    test("only the checkpoint committed last is a source") {
        DefaultSandbox().use { box ->
            val store = FileRunStore(box.run)
            RunWriter.open(store, "fp-1", FIXED_CLOCK).use { w ->
                w.save("e01", 1, files = model(1))
                w.save("e02", 2, files = variables(mapOf("other" to head(9))))
                w.save("e03", 3, files = model(3)) // e02 was the last commit, and holds no frozen.txt
            }
            Files.isSameFile(file(box.run, "e01", "frozen.txt"), file(box.run, "e03", "frozen.txt")) shouldBe false
            store.reuse.counts.linked shouldBe 0
        }
    }

    /**
     * Random sequences of commits (to epoch paths and one fixed path), each changing a random subset of four
     * variables and releasing random earlier checkpoints: every listed checkpoint's files always parse back to the
     * floats its commit was given, bit for bit, and the run verifies.
     */
    test("a changed variable is never reused: restored floats always equal the snapshot's") {
        var linked = 0
        var checkedFiles = 0
        checkAll(40, Arb.list(Arb.int(0..255), 2..12)) { ops ->
            DefaultSandbox().use { box ->
                val store = FileRunStore(box.run)
                val current = Array(4) { v -> FloatArray(8 + v) { it * 1.5f + v } }
                val committed = HashMap<String, Map<String, FloatArray>>()
                RunWriter.open(store, "fp-1", FIXED_CLOCK).use { w ->
                    ops.forEachIndexed { i, op ->
                        // Bits 0-3: which variables change, by one ulp or a sign so that nearly-equal values are tried.
                        for (v in 0 until 4) {
                            if (op shr v and 1 == 1) {
                                val at = (op + i) % current[v].size
                                current[v][at] = if (op and 16 != 0) -current[v][at] else Math.nextUp(current[v][at])
                            }
                        }
                        val path = if (op and 32 != 0) "fixed" else "e%02d".format(i)
                        val releasable = w.manifest.checkpoints.map { it.path }.filter { it != path && it != w.manifest.latest && it != w.manifest.best }
                        val release = if (op and 64 != 0) releasable.take(1) else emptyList()
                        val values = (0 until 4).associate { "v$it" to current[it].copyOf() }
                        w.save(path, i + 1, files = variables(values), release = release)
                        w.release().shouldBeEmpty()
                        release.forEach { committed.remove(it) }
                        committed[path] = values
                    }
                }
                linked += store.reuse.counts.linked
                Checkpoints.open(box.run).verify().allOk shouldBe true
                val run = reader(box.run)
                run.manifest.checkpoints.map { it.path }.toSet() shouldBe committed.keys
                for ((path, values) in committed) {
                    for ((name, floats) in values) {
                        val restored = FloatText.parse(Files.readAllBytes(file(box.run, path, "$name.txt")), floats.size, name)
                        FloatArray(restored.remaining()) { restored.get(it) }.map { it.toRawBits() } shouldBe floats.map { it.toRawBits() }
                        checkedFiles++
                    }
                }
            }
        }
        // The sweep must have reused files, or it proved nothing about reuse.
        (linked > 0) shouldBe true
        println("FileReuseTest: $checkedFiles files checked, $linked linked")
    }
})

package dev.ckpt.storage

import dev.ckpt.CheckpointStatus
import dev.ckpt.CorruptRunException
import dev.ckpt.RunLockedException
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.maps.shouldContainKey
import io.kotest.matchers.maps.shouldNotContainKey
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.types.shouldBeInstanceOf
import java.io.IOException
import java.nio.file.Files
import java.security.MessageDigest

private fun sha256(bytes: ByteArray) = MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }

/**
 * The storage contract: every behaviour a run promises, run against each file system ([DefaultFileSystemStorageTest],
 * [JimfsStorageTest]) through the rename protocol, and against S3 (`dev.ckpt.s3.S3StorageTest`) through the marker
 * protocol. What only one protocol can do (symbolic links, OS locks, temporary directories; versions beside a
 * checkpoint, taking a run over) is tested where it applies, here guarded by [protocol] or in the store's own spec.
 */
abstract class StorageContract(protocol: Protocol, newSandbox: () -> Sandbox) : FunSpec({

    fun sandboxed(block: (Sandbox) -> Unit) = newSandbox().use(block)

    /** The content of [file] in the listed checkpoint at [path], read the way restoring reads it. */
    fun listedContent(box: Sandbox, path: String, file: String = "model.json"): String {
        val run = box.reader()
        val entry = run.manifest.entry(path)!!
        return String(run.store.readFile(path, entry.checkpointSha256, file))
    }

    test("a committed checkpoint reads back with its facts, checksums, manifest entry and engine state") {
        sandboxed { box ->
            val state = StoredEngineState(2, 3, 9, 0, 30, 0.03, null)
            box.writer(box.run).use { w ->
                w.commit("e03", facts(3, best = true), model("v3"), w.planned("e03", "e03", state = state))
            }
            val run = box.reader(box.run)
            run.manifest.best shouldBe "e03"
            run.manifest.latest shouldBe "e03"
            run.manifest.policySettings shouldBe "fp-1"
            run.manifest.engineState shouldBe state.toJson()
            StoredEngineState.of(run.manifest.engineState!!, "manifest.json") shouldBe state
            val entry = run.latest()!!
            val meta = run.metadata(entry)
            meta.facts shouldBe entry.facts
            meta.runId shouldBe run.manifest.runId
            meta.facts.epoch shouldBe 3
            meta.facts.step shouldBe 30L
            meta.facts.kind shouldBe dev.ckpt.CheckpointKind.WEIGHTS
            meta.facts.createdAt.toString() shouldBe "2024-05-01T12:00:00Z"
            meta.files.map { it.path } shouldContainExactly listOf("model.json", "variables/dense.kernel")
            val kernel = Files.readAllBytes(box.run.resolve("e03/variables/dense.kernel"))
            meta.files[1].sha256 shouldBe sha256(kernel)
            meta.files[1].size shouldBe kernel.size.toLong()
            String(run.store.readFile("e03", entry.checkpointSha256, "model.json")) shouldBe "v3"
            run.verify().allOk shouldBe true
            leftovers(box.run).shouldBeEmpty()
        }
    }

    test("checkpoints in nested template directories are created below the run root") {
        sandboxed { box ->
            box.writer(box.run).use { w -> w.save("epochs/e01/model", 1) }
            val run = box.reader(box.run)
            run.verify(run.latest()!!) shouldBe CheckpointStatus.Ok
            Files.exists(box.run.resolve("epochs/e01/model/checkpoint.json")) shouldBe true
        }
    }

    test("overwriting a fixed path replaces the checkpoint and leaves no backup behind") {
        sandboxed { box ->
            box.writer(box.run).use { w ->
                w.save("best", 1, "old", best = true)
                w.save("best", 2, "new", best = true)
            }
            val run = box.reader(box.run)
            run.checkpoints.map { it.path } shouldContainExactly listOf("best")
            run.best()!!.facts.epoch shouldBe 2
            listedContent(box, "best") shouldBe "new"
            run.verify().allOk shouldBe true
            leftovers(box.run).shouldBeEmpty()
            storedVersions(box.run).size shouldBe 1
        }
    }

    test("overwriting the best checkpoint's path with a non-best checkpoint clears best") {
        sandboxed { box ->
            box.writer(box.run).use { w ->
                w.save("last", 1, best = true)
                w.save("last", 2)
                w.manifest.best shouldBe null
                w.manifest.latest shouldBe "last"
            }
        }
    }

    test("each commit replaces manifest.json exactly once, releases included; a run writes it at most saves + 2 times") {
        sandboxed { box ->
            var replacements = 0
            val counting: (StorageStep) -> Unit = { if (it == protocol.manifestStep) replacements++ }
            val saves = 12
            RunWriter.open(box.store(box.run), "fp-1", FIXED_CLOCK, "t", counting).use { w ->
                replacements shouldBe 1 // the new run's empty manifest
                for (epoch in 1..saves) {
                    val before = replacements
                    val release = w.manifest.checkpoints.map { it.path }.filter { it != w.manifest.best }.dropLast(1)
                    w.save("e%02d".format(epoch), epoch, best = epoch % 4 == 1, release = release)
                    w.release().shouldBeEmpty()
                    replacements shouldBe before + 1
                }
            }
            replacements shouldBe saves + 2 // the last one at close: the last release's checkpoints are gone
            box.reader(box.run).manifest.releasing.shouldBeEmpty()
            unlistedCheckpoints(box.run, box.reader(box.run)).shouldBeEmpty()
        }
    }

    context("a crash at any step of a fresh commit leaves earlier checkpoints intact, the run openable, and nothing unlisted") {
        withData(protocol.freshSteps) { step ->
            sandboxed { box ->
                box.writer(box.run).use { it.save("e01", 1, "one", best = true) }
                val crashed = box.writer(box.run, crashAt(step))
                shouldThrow<SimulatedCrash> { crashed.save("e02", 2, "two") }
                crashed.close() // releases the lock only, like the OS does for a killed process

                val view = box.reader(box.run) // read-only, before any recovery
                view.verify().allOk shouldBe true
                box.writer(box.run).use { w ->
                    leftovers(box.run).shouldBeEmpty()
                    unlistedCheckpoints(box.run, box.reader(box.run)).shouldBeEmpty()
                    val run = w.reader()
                    run.verify().allOk shouldBe true
                    Files.readString(box.run.resolve("e01/model.json")) shouldBe "one"
                    w.save("e02", 2, "two again")
                    w.reader().verify().allOk shouldBe true
                }
                listedContent(box, "e02") shouldBe "two again"
            }
        }
    }

    context("a crash at any step of an overwrite leaves the old or the new checkpoint, matching the manifest") {
        withData(protocol.commitSteps) { step ->
            sandboxed { box ->
                box.writer(box.run).use { it.save("best", 1, "old", best = true) }
                val crashed = box.writer(box.run, crashAt(step))
                shouldThrow<SimulatedCrash> { crashed.save("best", 2, "new", best = true) }
                crashed.close()

                fun checkConsistent(run: RunReader) {
                    run.verify().allOk shouldBe true
                    val best = run.best()!!
                    val expected = if (best.facts.epoch == 1) "old" else "new"
                    String(run.store.readFile(best.path, best.checkpointSha256, "model.json")) shouldBe expected
                    run.metadata(best).facts.epoch shouldBe best.facts.epoch
                }
                checkConsistent(box.reader(box.run))
                box.writer(box.run).use { w ->
                    leftovers(box.run).shouldBeEmpty()
                    checkConsistent(w.reader())
                }
                storedVersions(box.run).size shouldBe 1
            }
        }
    }

    context("an I/O failure at any step before the manifest records the commit changes nothing") {
        withData(protocol.beforeRecord) { step ->
            sandboxed { box ->
                box.writer(box.run).use { it.save("best", 1, "old", best = true) }
                box.writer(box.run, faultAt(step)).use { w ->
                    val before = snapshot(box.run).filterKeys { it != LOCK_FILE }
                    val error = shouldThrow<IOException> { w.save("best", 2, "new", best = true) }
                    error.message shouldContain box.describe(box.run, "best")
                    error.message shouldContain "injected fault"
                    snapshot(box.run).filterKeys { it != LOCK_FILE } shouldBe before
                    w.manifest.best shouldBe "best"
                    w.manifest.checkpoints.single().facts.epoch shouldBe 1
                }
            }
        }
    }

    test("a failure deleting the replaced checkpoint does not fail the commit; the next open removes it") {
        sandboxed { box ->
            box.writer(box.run).use { it.save("best", 1, "old", best = true) }
            box.writer(box.run, faultAt(StorageStep.DELETE_BACKUP)).use { w ->
                w.save("best", 2, "new", best = true).facts.epoch shouldBe 2
            }
            leftovers(box.run).size shouldBe 1
            box.writer(box.run).use { leftovers(box.run).shouldBeEmpty() }
            listedContent(box, "best") shouldBe "new"
            storedVersions(box.run).size shouldBe 1
        }
    }

    test("a failing model file removes the temporary directory and rethrows") {
        sandboxed { box ->
            box.writer(box.run).use { w ->
                val failing = listOf(
                    CheckpointFile("half") { "x".toByteArray() },
                    CheckpointFile("broken") { throw IOException("model export failed") },
                )
                val error = shouldThrow<IOException> { w.save("e01", 1, files = failing) }
                error.message shouldContain "model export failed"
                leftovers(box.run).shouldBeEmpty()
                Files.exists(box.run.resolve("e01")) shouldBe false
                w.manifest.checkpoints.shouldBeEmpty()
            }
        }
    }

    context("file lists that would write checkpoint.json, leave the checkpoint or repeat a name are refused") {
        withData(
            mapOf(
                "checkpoint.json" to listOf("checkpoint.json"),
                "a parent-directory path" to listOf("../escape"),
                "an absolute path" to listOf("/etc/passwd"),
                "a name twice" to listOf("a", "a"),
                "a file that is also a directory" to listOf("a", "a/b"),
            ),
        ) { names ->
            sandboxed { box ->
                box.plantOutside()
                box.writer(box.run).use { w ->
                    shouldThrow<IllegalArgumentException> { w.save("e01", 1, files = names.map { n -> CheckpointFile(n) { "x".toByteArray() } }) }
                    w.manifest.checkpoints.shouldBeEmpty()
                }
                leftovers(box.run).shouldBeEmpty()
                Files.readString(box.outside.resolve("passwd")) shouldBe "root:x:0:0"
            }
        }
    }

    test("metric values JSON cannot express survive a round trip") {
        sandboxed { box ->
            val metrics = mapOf("loss" to Double.NaN, "val_loss" to Double.POSITIVE_INFINITY, "x" to Double.NEGATIVE_INFINITY, "acc" to 0.5)
            box.writer(box.run).use { it.save("e01", 1, metrics = metrics) }
            val run = box.reader(box.run)
            run.metadata(run.latest()!!).facts.metrics shouldBe metrics
            run.manifest.checkpoints.single().facts.metrics shouldBe metrics
            Files.readString(box.run.resolve("manifest.json")) shouldContain "\"loss\": \"NaN\""
        }
    }

    context("commit refuses target paths at or reserved in the run") {
        withData(
            mapOf(
                "the run root itself" to ".",
                "a sibling of the run" to "../y/e01",
                "the manifest" to "manifest.json",
                "the lock" to "run.lock",
                "the history" to "history.jsonl",
                "a temp-like name" to ".e01.ckpt-tmp-0123456789abcdef",
            ),
        ) { relative ->
            sandboxed { box ->
                box.writer(box.run).use { w -> shouldThrow<IllegalArgumentException> { w.save(relative, 1) } }
                Files.exists(box.base.resolve("runs/y")) shouldBe false
            }
        }
    }

    test("commit refuses a checkpoint nested inside another") {
        sandboxed { box ->
            box.writer(box.run).use { w ->
                w.save("e01", 1)
                shouldThrow<IllegalArgumentException> { w.save("e01/inner", 2) }.message shouldContain "nested"
            }
        }
    }

    test("overwriting a directory that holds files ckpt did not write is refused and touches nothing") {
        sandboxed { box ->
            box.writer(box.run).use { w ->
                w.save("best", 1, "old", best = true)
                Files.writeString(box.run.resolve("best/NOTES.txt"), "mine")
                val before = snapshot(box.run).filterKeys { it != LOCK_FILE }
                shouldThrow<IOException> { w.save("best", 2, "new", best = true) }.message shouldContain "NOTES.txt"
                snapshot(box.run).filterKeys { it != LOCK_FILE } shouldBe before
            }
        }
    }

    test("committing over a foreign directory without checkpoint.json is refused") {
        sandboxed { box ->
            Files.createDirectories(box.run.resolve("e01"))
            Files.writeString(box.run.resolve("e01/data.csv"), "1,2")
            box.writer(box.run).use { w ->
                shouldThrow<IOException> { w.save("e01", 1) }.message shouldContain "not a checkpoint ckpt wrote"
            }
            Files.readString(box.run.resolve("e01/data.csv")) shouldBe "1,2"
        }
    }

    test("releasing deletes exactly the checkpoint's own files and keeps foreign files in and beside it") {
        sandboxed { box ->
            box.writer(box.run).use { w ->
                w.save("e01", 1, best = true)
                w.save("e02", 2)
                Files.writeString(box.run.resolve("e02/variables/NOTES.txt"), "inside")
                Files.writeString(box.run.resolve("e02.txt"), "beside")
                Files.createDirectories(box.run.resolve("e02-analysis"))
                Files.writeString(box.run.resolve("e02-analysis/plot.png"), "beside dir")
                Files.writeString(box.run.resolve("e01/variables/README"), "inside best")

                w.save("e03", 3, release = listOf("e02"))
                w.manifest.checkpoints.map { it.path } shouldContainExactly listOf("e01", "e03")
                w.manifest.releasing.map { it.path } shouldContainExactly listOf("e02")
                w.release().shouldBeEmpty()
            }
            val after = snapshot(box.run)
            after shouldContainKey "e02/variables/NOTES.txt"
            after shouldNotContainKey "e02/model.json"
            after shouldNotContainKey "e02/variables/dense.kernel"
            after shouldNotContainKey "e02/checkpoint.json"
            after["e02.txt"] shouldBe "beside"
            after["e02-analysis/plot.png"] shouldBe "beside dir"
            after["e01/variables/README"] shouldBe "inside best"
            box.reader(box.run).manifest.releasing.shouldBeEmpty()
            box.reader(box.run).verify().allOk shouldBe true
        }
    }

    test("releasing removes the checkpoint directory when nothing foreign is in it") {
        sandboxed { box ->
            box.writer(box.run).use { w ->
                w.save("e01", 1)
                w.save("e02", 2, release = listOf("e01"))
                w.release()
            }
            Files.exists(box.run.resolve("e01")) shouldBe false
        }
    }

    test("a commit refuses to release an unlisted checkpoint or the one it commits, and to keep a released best") {
        sandboxed { box ->
            box.writer(box.run).use { w ->
                w.save("e01", 1, best = true)
                w.save("e02", 2)
                shouldThrow<IllegalArgumentException> { w.save("e03", 3, release = listOf("e09")) }.message shouldContain "not a checkpoint"
                shouldThrow<IllegalArgumentException> { w.save("e03", 3, release = listOf("e03")) }
                shouldThrow<IllegalArgumentException> {
                    w.commit("e03", facts(3), model("3"), w.planned("e03", "e01", listOf("e01")))
                }.message shouldContain "best \"e01\""
                w.manifest.checkpoints.map { it.path } shouldContainExactly listOf("e01", "e02")
            }
            box.reader(box.run).verify().allOk shouldBe true
        }
    }

    context("a crash anywhere in a commit that releases, or in its deletions, leaves no unlisted checkpoint; the next open finishes") {
        val steps = protocol.manifestSteps.map { it to 1 } + listOf(StorageStep.DELETE_FILES to 1, StorageStep.DELETE_FILES to 2)
        withData(nameFn = { (step, nth) -> "$step #$nth" }, steps) { (step, nth) ->
            sandboxed { box ->
                box.writer(box.run).use { w ->
                    w.save("e01", 1)
                    w.save("e02", 2)
                }
                val crashed = box.writer(box.run, crashAt(step, nth))
                shouldThrow<SimulatedCrash> {
                    crashed.save("e03", 3, release = listOf("e01", "e02"))
                    crashed.release()
                }
                crashed.close()
                box.reader(box.run).verify().allOk shouldBe true
                box.writer(box.run).use { w ->
                    unlistedCheckpoints(box.run, box.reader(box.run)).shouldBeEmpty()
                    w.manifest.releasing.shouldBeEmpty()
                    w.reader().verify().allOk shouldBe true
                    leftovers(box.run).shouldBeEmpty()
                }
                val listed = box.reader(box.run).checkpoints.map { it.path }
                listed.forEach { Files.exists(box.run.resolve(it)) shouldBe true }
                listOf("e01", "e02").filter { it !in listed }.forEach { Files.exists(box.run.resolve(it)) shouldBe false }
                unlistedCheckpoints(box.run, box.reader(box.run)).shouldBeEmpty()
            }
        }
    }

    test("a deletion that fails stays in releasing and is retried by the next release") {
        sandboxed { box ->
            var failDeletes = true
            val hook: (StorageStep) -> Unit = { if (it == StorageStep.DELETE_FILES && failDeletes) throw IOException("disk says no") }
            RunWriter.open(box.store(box.run), "fp-1", FIXED_CLOCK, "t", hook).use { w ->
                w.save("e01", 1)
                w.save("e02", 2, release = listOf("e01"))
                val failures = w.release()
                failures.single().message shouldContain "e01"
                failures.single().message shouldContain "disk says no"
                w.save("e03", 3)
                w.manifest.releasing.map { it.path } shouldContainExactly listOf("e01")
                Files.exists(box.run.resolve("e01")) shouldBe true
                failDeletes = false
                w.release().shouldBeEmpty()
            }
            Files.exists(box.run.resolve("e01")) shouldBe false
            box.reader(box.run).manifest.releasing.shouldBeEmpty()
        }
    }

    test("a release whose checkpoint.json lists paths outside the checkpoint leaves its files in place") {
        sandboxed { box ->
            box.plantOutside()
            box.writer(box.run).use { w ->
                w.save("e01", 1)
                w.save("e02", 2)
                val hostile = Files.readString(box.run.resolve("e01/checkpoint.json"))
                    .replace("\"path\": \"model.json\"", "\"path\": \"../../../outside/passwd\"")
                Files.writeString(box.run.resolve("e01/checkpoint.json"), hostile)
                w.save("e03", 3, release = listOf("e01"))
                w.release().shouldBeEmpty()
                w.manifest.checkpoints.map { it.path } shouldContainExactly listOf("e02", "e03")
            }
            Files.readString(box.outside.resolve("passwd")) shouldBe "root:x:0:0"
            Files.exists(box.run.resolve("e01/model.json")) shouldBe true
        }
    }

    if (protocol == Protocol.RENAME) {
        test("a symbolic link inside the run is never followed by releases or the reader") {
            sandboxed { box ->
                box.plantOutside()
                box.writer(box.run).use { w ->
                    w.save("d/e01", 1)
                    w.save("e02", 2)
                    // Replace the checkpoint's parent with a link to a look-alike outside the run.
                    Files.createDirectories(box.outside.resolve("e01"))
                    Files.copy(box.run.resolve("d/e01/checkpoint.json"), box.outside.resolve("e01/checkpoint.json"))
                    Files.writeString(box.outside.resolve("e01/model.json"), "outside")
                    deleteTree(box.run.resolve("d"))
                    Files.createSymbolicLink(box.run.resolve("d"), box.outside)
                    w.save("e03", 3, release = listOf("d/e01"))
                    w.release().shouldBeEmpty() // refused with a warning, left in place
                }
                Files.readString(box.outside.resolve("e01/model.json")) shouldBe "outside"
            }
        }
    }

    if (protocol == Protocol.RENAME) {
        test("a reader refuses a listed checkpoint path through a symbolic link") {
            sandboxed { box ->
                box.plantOutside()
                box.writer(box.run).use { it.save("d/e01", 1) }
                deleteTree(box.run.resolve("d"))
                Files.createSymbolicLink(box.run.resolve("d"), box.outside)
                shouldThrow<CorruptRunException> { box.reader(box.run) }.message shouldContain "symbolic link"
            }
        }
    }

    if (protocol == Protocol.RENAME) {
        test("opening a writer removes ckpt's own leftovers and nothing that merely looks similar") {
            sandboxed { box ->
                box.writer(box.run).use { it.save("e01", 1) }
                val temp = box.run.resolve(".e02.ckpt-tmp-0123456789abcdef")
                Files.createDirectories(temp.resolve("variables"))
                Files.writeString(temp.resolve("variables/x"), "partial")
                Files.writeString(box.run.resolve(".manifest.json.ckpt-tmp-00000000000000ff"), "{")
                val lookalikes = listOf(
                    "e02.ckpt-tmp-0123456789abcdef", ".e02.ckpt-tmp-xyz", ".e02.ckpt-tmp-0123456789ABCDEF",
                    ".e02.ckpt-old-0123456789abcdef", "notes.txt",
                )
                lookalikes.forEach { Files.writeString(box.run.resolve(it), "foreign") }
                Files.writeString(box.run.resolve("e01/variables/.e01.ckpt-tmp-0123456789abcdef"), "inside a checkpoint")
                box.writer(box.run).use { }
                val after = snapshot(box.run)
                after shouldNotContainKey ".e02.ckpt-tmp-0123456789abcdef/"
                after shouldNotContainKey ".manifest.json.ckpt-tmp-00000000000000ff"
                lookalikes.forEach { after[it] shouldBe "foreign" }
                after["e01/variables/.e01.ckpt-tmp-0123456789abcdef"] shouldBe "inside a checkpoint"
            }
        }
    }

    test("opening a writer keeps a copy someone made of a recorded checkpoint, and checkpoints of other runs") {
        sandboxed { box ->
            box.writer(box.run).use { w ->
                w.commit("e01", facts(1), model("1"), w.planned("e01", null, state = StoredEngineState(0, 1, 0, 0, 10, null, null)))
            }
            // A user's copy (same run, an old step) and a checkpoint of another run (another run id).
            copyTree(box.run.resolve("e01"), box.run.resolve("e01-copy"))
            val other = box.base.resolve("other")
            box.writer(other).use { it.save("e09", 9) }
            copyTree(other.resolve("e09"), box.run.resolve("e09"))
            box.writer(box.run).use { }
            Files.exists(box.run.resolve("e01-copy/model.json")) shouldBe true
            Files.exists(box.run.resolve("e09/model.json")) shouldBe true
        }
    }

    if (protocol == Protocol.RENAME) {
        test("a second writer is refused, naming the run and the holder, until the first closes") {
            sandboxed { box ->
                val first = box.writer(box.run)
                val error = shouldThrow<RunLockedException> { RunWriter.open(FileRunStore(box.run), "fp-1") }
                error.message shouldContain box.run.toString()
                error.holder shouldBe "test owner pid 42"
                first.close()
                RunWriter.open(FileRunStore(box.run), "fp-1").close()
            }
        }
    }

    test("a closed writer refuses to write") {
        sandboxed { box ->
            val w = box.writer(box.run)
            w.close()
            shouldThrow<IllegalStateException> { w.save("e01", 1) }.message shouldContain "closed"
        }
    }

    if (protocol == Protocol.RENAME) {
        test("a run directory that is a regular file is refused with what to do") {
            sandboxed { box ->
                Files.createDirectories(box.run.parent)
                Files.writeString(box.run, "not a directory")
                val error = shouldThrow<IOException> { box.writer(box.run) }
                error.message shouldBe "run directory ${box.run} cannot be used: ${box.run} is a file, not a directory, and ckpt " +
                    "keeps a run's manifest and checkpoints in a directory; move that file away, or choose another filepath or directory"
                Files.readString(box.run) shouldBe "not a directory"
            }
        }
    }

    test("verify reports a flipped byte, a missing file, a missing checkpoint.json and a missing directory") {
        sandboxed { box ->
            box.writer(box.run).use { w ->
                listOf("ok", "flipped", "nofile", "nometa", "gone").forEachIndexed { i, p -> w.save(p, i, "content-$p") }
            }
            val kernel = box.run.resolve("flipped/variables/dense.kernel")
            val bytes = Files.readAllBytes(kernel)
            val expected = sha256(bytes)
            bytes[3] = (bytes[3].toInt() xor 0x01).toByte()
            Files.write(kernel, bytes)
            Files.delete(box.run.resolve("nofile/model.json"))
            Files.delete(box.run.resolve("nometa/checkpoint.json"))
            deleteTree(box.run.resolve("gone"))

            val report = box.reader(box.run).verify()
            report.status("ok") shouldBe CheckpointStatus.Ok
            report.status("flipped") shouldBe CheckpointStatus.Corrupt("variables/dense.kernel", expected, sha256(bytes))
            report.status("nofile") shouldBe CheckpointStatus.Incomplete("model.json")
            report.status("nometa") shouldBe CheckpointStatus.Incomplete("checkpoint.json")
            report.status("gone") shouldBe CheckpointStatus.Missing
            report.allOk shouldBe false
        }
    }

    test("verify and metadata refuse a checkpoint.json edited after the commit") {
        sandboxed { box ->
            box.writer(box.run).use { it.save("e01", 1) }
            val file = box.run.resolve("e01/checkpoint.json")
            Files.writeString(file, Files.readString(file).replace("\"epoch\": 1", "\"epoch\": 9"))
            val run = box.reader(box.run)
            run.verify().status("e01").shouldBeInstanceOf<CheckpointStatus.Corrupt>().file shouldBe "checkpoint.json"
            shouldThrow<CorruptRunException> { run.metadata(run.latest()!!) }.message shouldContain "changed after the commit"
        }
    }

    test("opening a directory that is not a run is a clear error") {
        sandboxed { box ->
            shouldThrow<java.nio.file.NoSuchFileException> { box.reader(box.base.resolve("nope")) }.message shouldContain "no run here"
            Files.createDirectories(box.run)
            Files.writeString(box.run.resolve("notes.txt"), "not a run")
            shouldThrow<java.nio.file.NoSuchFileException> { box.reader(box.run) }.message shouldContain "manifest.json"
        }
    }

    context("hostile manifests are refused with a clear error and nothing inside or outside the run changes") {
        withData(HOSTILE_MANIFESTS) { case ->
            sandboxed { box ->
                box.plantOutside()
                Files.createDirectories(box.run)
                Files.writeString(box.run.resolve("manifest.json"), case.json)
                val outsideBefore = snapshot(box.outside)
                val runBefore = snapshot(box.run)
                val readError = shouldThrow<CorruptRunException> { box.reader(box.run) }
                readError.file shouldBe box.describe(box.run, "manifest.json")
                readError.message shouldContain "manifest.json"
                readError.message shouldContain case.expected
                val writeError = shouldThrow<CorruptRunException> { box.writer(box.run) }
                writeError.message shouldContain case.expected
                snapshot(box.outside) shouldBe outsideBefore
                snapshot(box.run).filterKeys { it != LOCK_FILE } shouldBe runBefore
                // The refused writer released its lock.
                shouldThrow<CorruptRunException> { box.writer(box.run) }
            }
        }
    }

    if (protocol == Protocol.RENAME) {
        test("a reader opened during a crashed overwrite reads the recorded version from its backup") {
            sandboxed { box ->
                box.writer(box.run).use { it.save("best", 1, "old", best = true) }
                val crashed = box.writer(box.run, crashAt(StorageStep.MOVE_INTO_PLACE))
                shouldThrow<SimulatedCrash> { crashed.save("best", 2, "new", best = true) }
                crashed.close()
                Files.exists(box.run.resolve("best")) shouldBe false
                val run = box.reader(box.run)
                val best = run.best()!!
                (run.store as FileRunStore).directory(best.path, best.checkpointSha256) shouldNotBe box.run.resolve("best")
                String(run.store.readFile(best.path, best.checkpointSha256, "model.json")) shouldBe "old"
                run.verify(best) shouldBe CheckpointStatus.Ok
            }
        }
    }
})

internal fun copyTree(from: java.nio.file.Path, to: java.nio.file.Path) {
    Files.walk(from).use { paths ->
        paths.forEach { p ->
            val target = to.resolve(from.relativize(p).toString())
            if (Files.isDirectory(p)) Files.createDirectories(target) else Files.copy(p, target)
        }
    }
}

data class HostileManifest(val name: String, val json: String, val expected: String) {
    override fun toString() = name
}

private const val SHA = "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""

private fun manifestText(
    path: String = "\"e01\"",
    version: String = "2",
    best: String = path,
    epoch: String = "1",
    extra: String = "",
    sha: String = SHA,
    facts: String? = null,
) = """{"formatVersion": $version, "runId": "r1", "policyFingerprint": "fp", "best": $best, "latest": $path,
  "checkpoints": [{"path": $path, "checkpointSha256": $sha, "facts": ${facts ?: """{"kind": "weights", "epoch": $epoch,
    "batch": null, "step": 10, "metrics": {"loss": 0.5}, "monitor": "loss", "monitorValue": 0.5, "best": true,
    "createdAt": "2024-05-01T12:00:00Z"}"""}}],
  "releasing": [], "engineState": null$extra}
"""

private fun manifestTextV1(path: String = "\"e01\"") = """{"formatVersion": 1, "policyFingerprint": "fp", "best": $path, "latest": $path,
  "checkpoints": [{"path": $path, "kind": "weights", "epoch": 1, "batch": null, "step": 10,
    "metrics": {"loss": 0.5}, "monitor": "loss", "monitorValue": 0.5, "createdAt": "2024-05-01T12:00:00Z",
    "checkpointSha256": $SHA}],
  "engineState": null}
"""

val HOSTILE_MANIFESTS: List<HostileManifest> = listOf(
    HostileManifest("truncated JSON", manifestText().take(120), "not valid JSON"),
    HostileManifest("empty file", "", "is empty"),
    HostileManifest("not an object", "[1, 2]", "must hold a JSON object"),
    HostileManifest("unknown formatVersion", manifestText(version = "7"), "unsupported formatVersion 7; this version of ckpt reads formatVersion 1 and 2"),
    HostileManifest("formatVersion as a string", manifestText(version = "\"1\""), "formatVersion must be an integer"),
    HostileManifest("missing formatVersion", "{\"checkpoints\": []}", "formatVersion must be an integer"),
    HostileManifest("epoch of the wrong type", manifestText(epoch = "\"one\""), "epoch"),
    HostileManifest("negative epoch", manifestText(epoch = "-1"), "epoch must be >= 0"),
    HostileManifest("checkpoints of the wrong type", """{"formatVersion": 2, "runId": "r", "policyFingerprint": "fp", "checkpoints": "e01"}""", "checkpoints must be a JSON array"),
    HostileManifest(
        "an entry without facts",
        """{"formatVersion": 2, "runId": "r", "policyFingerprint": "fp", "checkpoints": [{"path": "e01", "checkpointSha256": $SHA}]}""",
        "checkpoints[0] (\"e01\") lacks the required field facts",
    ),
    HostileManifest("facts without epoch and step", manifestText(facts = """{"kind": "weights", "batch": null, "metrics": {}, "monitor": null,
        "monitorValue": null, "best": false, "createdAt": "2024-05-01T12:00:00Z"}"""), "checkpoints[0] (\"e01\").facts lacks the required fields epoch, step"),
    HostileManifest(
        "format 1 entry without its sha",
        manifestTextV1().replace(Regex(""",\s*"checkpointSha256": "a+""""), ""),
        "checkpoints[0] (\"e01\") lacks the required field checkpointSha256",
    ),
    HostileManifest("parent-directory path", manifestText(path = "\"../outside\""), "must not contain \"..\""),
    HostileManifest("format 1 parent-directory path", manifestTextV1(path = "\"../outside\""), "must not contain \"..\""),
    HostileManifest("nested parent-directory path", manifestText(path = "\"a/../../outside\""), "must not contain \"..\""),
    HostileManifest("absolute path", manifestText(path = "\"/etc/passwd\""), "must be relative"),
    HostileManifest("backslash path", manifestText(path = "\"..\\\\outside\""), "backslash"),
    HostileManifest("best not among the checkpoints", manifestText(best = "\"e09\""), "best \"e09\" is not one of the checkpoints"),
    HostileManifest("malformed checksum", manifestText(sha = "\"xyz\""), "checkpointSha256"),
    HostileManifest("unknown field", manifestText(extra = ", \"deleteEverything\": true"), "the file has the unknown field 'deleteEverything'"),
    HostileManifest("metric as an arbitrary string", manifestText().replace("\"loss\": 0.5", "\"loss\": \"big\""), "metric value"),
    HostileManifest("unknown kind", manifestText().replace("\"kind\": \"weights\"", "\"kind\": \"half\""), "kind must be one of \"weights\", \"full\", got \"half\""),
)

class DefaultFileSystemStorageTest : StorageContract(Protocol.RENAME, { DefaultSandbox() })

class JimfsStorageTest : StorageContract(Protocol.RENAME, { JimfsSandbox() })

/** The OS file lock (not only the in-process registry) refuses a writer; only the default file system has real locks. */
class OsFileLockTest : FunSpec({
    test("a run whose run.lock is locked by someone else is refused, naming the holder written in it") {
        DefaultSandbox().use { box ->
            Files.createDirectories(box.run)
            val lockFile = box.run.resolve("run.lock")
            Files.writeString(lockFile, "pid 777 on another host")
            java.nio.channels.FileChannel.open(lockFile, java.nio.file.StandardOpenOption.WRITE).use { channel ->
                channel.lock().use {
                    val error = shouldThrow<RunLockedException> { RunWriter.open(FileRunStore(box.run), "fp") }
                    error.holder shouldBe "pid 777 on another host"
                    error.message shouldContain "one writer at a time"
                }
            }
            RunWriter.open(FileRunStore(box.run), "fp").close()
        }
    }
})

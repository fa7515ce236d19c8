package dev.ckpt.storage

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
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put
import java.io.IOException
import java.nio.file.Files
import java.security.MessageDigest

private fun sha256(bytes: ByteArray) = MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }

private val COMMIT_STEPS = listOf(
    StorageStep.CREATE_TEMP, StorageStep.WRITE_FILES, StorageStep.WRITE_METADATA, StorageStep.SYNC_TEMP,
    StorageStep.MOVE_OLD_ASIDE, StorageStep.MOVE_INTO_PLACE, StorageStep.SYNC_PARENT,
    StorageStep.WRITE_MANIFEST_TEMP, StorageStep.MOVE_MANIFEST, StorageStep.DELETE_BACKUP,
)

/** Steps before which a failure leaves the commit unrecorded (the manifest is renamed at MOVE_MANIFEST). */
private val BEFORE_RECORD = COMMIT_STEPS.takeWhile { it != StorageStep.DELETE_BACKUP }

/**
 * The storage contract: every behaviour the run directory promises, run against each file system
 * ([DefaultFileSystemStorageTest], [JimfsStorageTest]).
 */
abstract class StorageContract(newSandbox: () -> Sandbox) : FunSpec({

    fun sandboxed(block: (Sandbox) -> Unit) = newSandbox().use(block)

    test("a committed checkpoint reads back with its metadata, checksums and manifest entry") {
        sandboxed { box ->
            val state = buildJsonObject { put("best", 0.03); put("epochsSeen", 3) }
            openWriter(box.run).use { w ->
                w.commit(box.run.resolve("e03"), info(3, best = true), state, model("v3"))
            }
            val run = RunReader.open(box.run)
            run.manifest.best shouldBe "e03"
            run.manifest.latest shouldBe "e03"
            run.manifest.policyFingerprint shouldBe "fp-1"
            run.manifest.engineState shouldBe state
            val stored = run.latest()!!
            stored.directory shouldBe box.run.resolve("e03")
            val meta = stored.metadata()
            meta.epoch shouldBe 3
            meta.step shouldBe 30L
            meta.kind shouldBe CheckpointKind.WEIGHTS
            meta.createdAt.toString() shouldBe "2024-05-01T12:00:00Z"
            meta.files.map { it.path } shouldContainExactly listOf("model.json", "variables/dense.kernel")
            val kernel = Files.readAllBytes(box.run.resolve("e03/variables/dense.kernel"))
            meta.files[1].sha256 shouldBe sha256(kernel)
            meta.files[1].size shouldBe kernel.size.toLong()
            Files.readString(stored.file("model.json")) shouldBe "v3"
            run.verify().allOk shouldBe true
            leftovers(box.run).shouldBeEmpty()
        }
    }

    test("checkpoints in nested template directories are created below the run root") {
        sandboxed { box ->
            openWriter(box.run).use { w -> w.commit(box.run.resolve("epochs/e01/model"), info(1), model("v1")) }
            RunReader.open(box.run).byPath("epochs/e01/model")!!.verify() shouldBe CheckpointStatus.Ok
        }
    }

    test("overwriting a fixed path replaces the checkpoint and leaves no backup behind") {
        sandboxed { box ->
            openWriter(box.run).use { w ->
                w.commit(box.run.resolve("best"), info(1, best = true), model("old"))
                w.commit(box.run.resolve("best"), info(2, best = true), model("new"))
            }
            val run = RunReader.open(box.run)
            run.checkpoints.map { it.path } shouldContainExactly listOf("best")
            run.best()!!.entry.epoch shouldBe 2
            Files.readString(box.run.resolve("best/model.json")) shouldBe "new"
            run.verify().allOk shouldBe true
            leftovers(box.run).shouldBeEmpty()
        }
    }

    test("overwriting the best checkpoint's path with a non-best checkpoint clears best") {
        sandboxed { box ->
            openWriter(box.run).use { w ->
                w.commit(box.run.resolve("last"), info(1, best = true), model("a"))
                w.commit(box.run.resolve("last"), info(2, best = false), model("b"))
                w.manifest.best shouldBe null
                w.manifest.latest shouldBe "last"
            }
        }
    }

    context("a crash at any step of a fresh commit leaves earlier checkpoints intact and the run openable") {
        withData(COMMIT_STEPS - StorageStep.MOVE_OLD_ASIDE - StorageStep.DELETE_BACKUP) { step ->
            sandboxed { box ->
                openWriter(box.run).use { it.commit(box.run.resolve("e01"), info(1, best = true), model("one")) }
                val crashed = openWriter(box.run, crashAt(step))
                shouldThrow<SimulatedCrash> { crashed.commit(box.run.resolve("e02"), info(2), model("two")) }
                crashed.close() // releases the lock only, like the OS does for a killed process

                val view = RunReader.open(box.run) // read-only, before any recovery
                view.verify().allOk shouldBe true
                openWriter(box.run).use { w ->
                    leftovers(box.run).shouldBeEmpty()
                    val run = w.reader()
                    run.verify().allOk shouldBe true
                    Files.readString(run.byPath("e01")!!.file("model.json")) shouldBe "one"
                    // The interrupted save can be repeated: an unrecorded e02 left in place is ckpt's own.
                    w.commit(box.run.resolve("e02"), info(2), model("two again"))
                    w.reader().verify().allOk shouldBe true
                    Files.readString(box.run.resolve("e02/model.json")) shouldBe "two again"
                }
            }
        }
    }

    context("a crash at any step of an overwrite leaves the old or the new checkpoint, matching the manifest") {
        withData(COMMIT_STEPS) { step ->
            sandboxed { box ->
                openWriter(box.run).use { it.commit(box.run.resolve("best"), info(1, best = true), model("old")) }
                val crashed = openWriter(box.run, crashAt(step))
                shouldThrow<SimulatedCrash> { crashed.commit(box.run.resolve("best"), info(2, best = true), model("new")) }
                crashed.close()

                fun checkConsistent(run: RunReader) {
                    run.verify().allOk shouldBe true
                    val best = run.best()!!
                    val expected = if (best.entry.epoch == 1) "old" else "new"
                    Files.readString(best.file("model.json")) shouldBe expected
                    best.metadata().epoch shouldBe best.entry.epoch
                }
                checkConsistent(RunReader.open(box.run))
                openWriter(box.run).use { w ->
                    leftovers(box.run).shouldBeEmpty()
                    checkConsistent(w.reader())
                    w.reader().best()!!.directory shouldBe box.run.resolve("best")
                }
            }
        }
    }

    context("an I/O failure at any step before the manifest records the commit changes nothing") {
        withData(BEFORE_RECORD) { step ->
            sandboxed { box ->
                openWriter(box.run).use { it.commit(box.run.resolve("best"), info(1, best = true), model("old")) }
                val before = snapshot(box.run).filterKeys { it != LOCK_FILE }
                openWriter(box.run, faultAt(step)).use { w ->
                    val error = shouldThrow<IOException> {
                        w.commit(box.run.resolve("best"), info(2, best = true), model("new"))
                    }
                    error.message shouldContain box.run.resolve("best").toString()
                    error.message shouldContain "injected fault"
                    snapshot(box.run).filterKeys { it != LOCK_FILE } shouldBe before
                    w.manifest.best shouldBe "best"
                    w.manifest.checkpoints.single().epoch shouldBe 1
                }
            }
        }
    }

    test("a failure deleting the replaced checkpoint does not fail the commit; the next open removes it") {
        sandboxed { box ->
            openWriter(box.run).use { it.commit(box.run.resolve("best"), info(1, best = true), model("old")) }
            openWriter(box.run, faultAt(StorageStep.DELETE_BACKUP)).use { w ->
                w.commit(box.run.resolve("best"), info(2, best = true), model("new")).epoch shouldBe 2
            }
            leftovers(box.run).size shouldBe 1
            openWriter(box.run).use { leftovers(box.run).shouldBeEmpty() }
            Files.readString(box.run.resolve("best/model.json")) shouldBe "new"
        }
    }

    test("a failing model writer removes the temporary directory and rethrows") {
        sandboxed { box ->
            openWriter(box.run).use { w ->
                val error = shouldThrow<IOException> {
                    w.commit(box.run.resolve("e01"), info(1)) { dir ->
                        Files.writeString(dir.resolve("half"), "x")
                        throw IOException("model export failed")
                    }
                }
                error.message shouldContain "model export failed"
                leftovers(box.run).shouldBeEmpty()
                Files.exists(box.run.resolve("e01")) shouldBe false
                w.manifest.checkpoints.shouldBeEmpty()
            }
        }
    }

    test("a model writer that writes checkpoint.json or a symbolic link is refused and cleaned up") {
        sandboxed { box ->
            box.plantOutside()
            openWriter(box.run).use { w ->
                shouldThrow<IllegalArgumentException> {
                    w.commit(box.run.resolve("e01"), info(1)) { Files.writeString(it.resolve("checkpoint.json"), "{}") }
                }.message shouldContain "reserves"
                shouldThrow<IllegalArgumentException> {
                    w.commit(box.run.resolve("e01"), info(1)) { Files.createSymbolicLink(it.resolve("link"), box.outside.resolve("passwd")) }
                }.message shouldContain "not a regular file"
                leftovers(box.run).shouldBeEmpty()
            }
            Files.readString(box.outside.resolve("passwd")) shouldBe "root:x:0:0"
        }
    }

    test("metric values JSON cannot express survive a round trip") {
        sandboxed { box ->
            val metrics = mapOf("loss" to Double.NaN, "val_loss" to Double.POSITIVE_INFINITY, "x" to Double.NEGATIVE_INFINITY, "acc" to 0.5)
            openWriter(box.run).use { it.commit(box.run.resolve("e01"), info(1, metrics = metrics), model("m")) }
            val run = RunReader.open(box.run)
            run.latest()!!.metadata().metrics shouldBe metrics
            run.manifest.checkpoints.single().metrics shouldBe metrics
            Files.readString(box.run.resolve("manifest.json")) shouldContain "\"loss\": \"NaN\""
        }
    }

    context("commit refuses target paths outside, at or reserved in the run") {
        withData(
            mapOf(
                "the run root itself" to ".",
                "a sibling of the run" to "../y/e01",
                "the manifest" to "manifest.json",
                "the lock" to "run.lock",
                "a temp-like name" to ".e01.ckpt-tmp-0123456789abcdef",
            ),
        ) { relative ->
            sandboxed { box ->
                openWriter(box.run).use { w ->
                    shouldThrow<IllegalArgumentException> { w.commit(box.run.resolve(relative), info(1), model("m")) }
                }
                Files.exists(box.base.resolve("runs/y")) shouldBe false
            }
        }
    }

    test("commit refuses a checkpoint nested inside another") {
        sandboxed { box ->
            openWriter(box.run).use { w ->
                w.commit(box.run.resolve("e01"), info(1), model("m"))
                shouldThrow<IllegalArgumentException> { w.commit(box.run.resolve("e01/inner"), info(2), model("m")) }
                    .message shouldContain "nested"
            }
        }
    }

    test("overwriting a directory that holds files ckpt did not write is refused and touches nothing") {
        sandboxed { box ->
            openWriter(box.run).use { w ->
                w.commit(box.run.resolve("best"), info(1, best = true), model("old"))
                Files.writeString(box.run.resolve("best/NOTES.txt"), "mine")
                val before = snapshot(box.run).filterKeys { it != LOCK_FILE }
                shouldThrow<IOException> { w.commit(box.run.resolve("best"), info(2, best = true), model("new")) }
                    .message shouldContain "NOTES.txt"
                snapshot(box.run).filterKeys { it != LOCK_FILE } shouldBe before
            }
        }
    }

    test("committing over a foreign directory without checkpoint.json is refused") {
        sandboxed { box ->
            Files.createDirectories(box.run.resolve("e01"))
            Files.writeString(box.run.resolve("e01/data.csv"), "1,2")
            openWriter(box.run).use { w ->
                shouldThrow<IOException> { w.commit(box.run.resolve("e01"), info(1), model("m")) }
                    .message shouldContain "not a checkpoint ckpt wrote"
            }
            Files.readString(box.run.resolve("e01/data.csv")) shouldBe "1,2"
        }
    }

    test("retention deletes exactly the checkpoint's own files and keeps foreign files in and beside it") {
        sandboxed { box ->
            openWriter(box.run).use { w ->
                w.commit(box.run.resolve("e01"), info(1, best = true), model("1"))
                w.commit(box.run.resolve("e02"), info(2), model("2"))
                w.commit(box.run.resolve("e03"), info(3), model("3"))
                Files.writeString(box.run.resolve("e02/variables/NOTES.txt"), "inside")
                Files.writeString(box.run.resolve("e02.txt"), "beside")
                Files.createDirectories(box.run.resolve("e02-analysis"))
                Files.writeString(box.run.resolve("e02-analysis/plot.png"), "beside dir")
                Files.writeString(box.run.resolve("e01/variables/README"), "inside best")

                w.delete("e02")
                w.manifest.checkpoints.map { it.path } shouldContainExactly listOf("e01", "e03")
            }
            val after = snapshot(box.run)
            after shouldContainKey "e02/variables/NOTES.txt"
            after shouldNotContainKey "e02/model.json"
            after shouldNotContainKey "e02/variables/dense.kernel"
            after shouldNotContainKey "e02/checkpoint.json"
            after["e02.txt"] shouldBe "beside"
            after["e02-analysis/plot.png"] shouldBe "beside dir"
            after["e01/variables/README"] shouldBe "inside best"
            RunReader.open(box.run).verify().allOk shouldBe true
        }
    }

    test("retention removes the checkpoint directory when nothing foreign is in it") {
        sandboxed { box ->
            openWriter(box.run).use { w ->
                w.commit(box.run.resolve("e01"), info(1), model("1"))
                w.commit(box.run.resolve("e02"), info(2), model("2"))
                w.delete("e01")
            }
            Files.exists(box.run.resolve("e01")) shouldBe false
        }
    }

    test("retention refuses the best, the latest and unlisted paths") {
        sandboxed { box ->
            openWriter(box.run).use { w ->
                w.commit(box.run.resolve("e01"), info(1, best = true), model("1"))
                w.commit(box.run.resolve("e02"), info(2), model("2"))
                shouldThrow<IllegalArgumentException> { w.delete("e01") }.message shouldContain "best"
                shouldThrow<IllegalArgumentException> { w.delete("e02") }.message shouldContain "latest"
                shouldThrow<IllegalArgumentException> { w.delete("../outside") }.message shouldContain "manifest.json lists"
                shouldThrow<IllegalArgumentException> { w.delete("e03") }
            }
            RunReader.open(box.run).verify().allOk shouldBe true
        }
    }

    context("a crash during retention never leaves the manifest listing a half-deleted checkpoint") {
        withData(StorageStep.WRITE_MANIFEST_TEMP, StorageStep.MOVE_MANIFEST, StorageStep.DELETE_FILES) { step ->
            sandboxed { box ->
                openWriter(box.run).use { w ->
                    w.commit(box.run.resolve("e01"), info(1), model("1"))
                    w.commit(box.run.resolve("e02"), info(2), model("2"))
                }
                val crashed = openWriter(box.run, crashAt(step))
                shouldThrow<SimulatedCrash> { crashed.delete("e01") }
                crashed.close()
                openWriter(box.run).use { w ->
                    w.reader().verify().allOk shouldBe true
                    leftovers(box.run).shouldBeEmpty()
                }
            }
        }
    }

    test("retention leaves files in place when checkpoint.json lists paths outside the checkpoint") {
        sandboxed { box ->
            box.plantOutside()
            openWriter(box.run).use { w ->
                w.commit(box.run.resolve("e01"), info(1), model("1"))
                w.commit(box.run.resolve("e02"), info(2), model("2"))
                val hostile = """{"formatVersion":1,"kind":"weights","epoch":1,"batch":null,"step":10,"metrics":{},
                    "monitor":null,"best":false,"createdAt":"2024-05-01T12:00:00Z",
                    "files":[{"path":"../../../outside/passwd","size":10,"sha256":"${"0".repeat(64)}"}]}"""
                Files.writeString(box.run.resolve("e01/checkpoint.json"), hostile)
                w.delete("e01")
                w.manifest.checkpoints.map { it.path } shouldContainExactly listOf("e02")
            }
            Files.readString(box.outside.resolve("passwd")) shouldBe "root:x:0:0"
            Files.exists(box.run.resolve("e01/model.json")) shouldBe true
        }
    }

    test("a symbolic link inside the run is never followed by retention or the reader") {
        sandboxed { box ->
            box.plantOutside()
            openWriter(box.run).use { w ->
                w.commit(box.run.resolve("d/e01"), info(1), model("1"))
                w.commit(box.run.resolve("e02"), info(2), model("2"))
                // Replace the checkpoint's parent with a link to a look-alike outside the run.
                Files.createDirectories(box.outside.resolve("e01"))
                Files.copy(box.run.resolve("d/e01/checkpoint.json"), box.outside.resolve("e01/checkpoint.json"))
                Files.writeString(box.outside.resolve("e01/model.json"), "outside")
                deleteTree(box.run.resolve("d"))
                Files.createSymbolicLink(box.run.resolve("d"), box.outside)
                shouldThrow<CorruptRunException> { w.delete("d/e01") }.message shouldContain "symbolic link"
                w.manifest.checkpoints.map { it.path } shouldContainExactly listOf("d/e01", "e02")
            }
            shouldThrow<CorruptRunException> { RunReader.open(box.run) }.message shouldContain "symbolic link"
            Files.readString(box.outside.resolve("e01/model.json")) shouldBe "outside"
        }
    }

    test("opening a writer removes ckpt's own leftovers and nothing that merely looks similar") {
        sandboxed { box ->
            openWriter(box.run).use { it.commit(box.run.resolve("e01"), info(1), model("1")) }
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
            openWriter(box.run).use { }
            val after = snapshot(box.run)
            after shouldNotContainKey ".e02.ckpt-tmp-0123456789abcdef/"
            after shouldNotContainKey ".manifest.json.ckpt-tmp-00000000000000ff"
            lookalikes.forEach { after[it] shouldBe "foreign" }
            after["e01/variables/.e01.ckpt-tmp-0123456789abcdef"] shouldBe "inside a checkpoint"
        }
    }

    test("a second writer is refused, naming the run and the holder, until the first closes") {
        sandboxed { box ->
            val first = openWriter(box.run)
            val error = shouldThrow<RunLockedException> { RunWriter.open(box.run, "fp-1") }
            error.message shouldContain box.run.toString()
            error.holder shouldBe "test owner pid 42"
            first.close()
            RunWriter.open(box.run, "fp-1").close()
        }
    }

    test("a closed writer refuses to write") {
        sandboxed { box ->
            val w = openWriter(box.run)
            w.close()
            shouldThrow<IllegalStateException> { w.commit(box.run.resolve("e01"), info(1), model("1")) }
                .message shouldContain "closed"
        }
    }

    test("verify reports a flipped byte, a missing file, a missing checkpoint.json and a missing directory") {
        sandboxed { box ->
            openWriter(box.run).use { w ->
                listOf("ok", "flipped", "nofile", "nometa", "gone").forEachIndexed { i, p ->
                    w.commit(box.run.resolve(p), info(i), model("content-$p"))
                }
            }
            val kernel = box.run.resolve("flipped/variables/dense.kernel")
            val bytes = Files.readAllBytes(kernel)
            val expected = sha256(bytes)
            bytes[3] = (bytes[3].toInt() xor 0x01).toByte()
            Files.write(kernel, bytes)
            Files.delete(box.run.resolve("nofile/model.json"))
            Files.delete(box.run.resolve("nometa/checkpoint.json"))
            deleteTree(box.run.resolve("gone"))

            val report = RunReader.open(box.run).verify()
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
            openWriter(box.run).use { it.commit(box.run.resolve("e01"), info(1), model("1")) }
            val file = box.run.resolve("e01/checkpoint.json")
            Files.writeString(file, Files.readString(file).replace("\"epoch\": 1", "\"epoch\": 9"))
            val run = RunReader.open(box.run)
            run.verify().status("e01").shouldBeInstanceOf<CheckpointStatus.Corrupt>().file shouldBe "checkpoint.json"
            shouldThrow<CorruptRunException> { run.latest()!!.metadata() }.message shouldContain "changed after the commit"
        }
    }

    test("opening a directory that is not a run is a clear error") {
        sandboxed { box ->
            shouldThrow<java.nio.file.NoSuchFileException> { RunReader.open(box.base.resolve("nope")) }
            Files.createDirectories(box.run)
            shouldThrow<java.nio.file.NoSuchFileException> { RunReader.open(box.run) }.message shouldContain "manifest.json"
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
                val readError = shouldThrow<CorruptRunException> { RunReader.open(box.run) }
                readError.file shouldBe box.run.resolve("manifest.json")
                readError.message shouldContain "manifest.json"
                readError.message shouldContain case.expected
                val writeError = shouldThrow<CorruptRunException> { openWriter(box.run) }
                writeError.message shouldContain case.expected
                snapshot(box.outside) shouldBe outsideBefore
                snapshot(box.run).filterKeys { it != LOCK_FILE } shouldBe runBefore
                // The refused writer released its lock.
                shouldThrow<CorruptRunException> { openWriter(box.run) }
            }
        }
    }

    test("updating the engine state rewrites only the manifest") {
        sandboxed { box ->
            openWriter(box.run).use { w ->
                w.commit(box.run.resolve("e01"), info(1), model("1"))
                w.updateEngineState(JsonPrimitive("after epoch 2"))
            }
            RunReader.open(box.run).manifest.engineState shouldBe JsonPrimitive("after epoch 2")
            RunReader.open(box.run).manifest.checkpoints.size shouldBe 1
        }
    }

    test("a reader opened during a crashed overwrite reads the recorded version from its backup") {
        sandboxed { box ->
            openWriter(box.run).use { it.commit(box.run.resolve("best"), info(1, best = true), model("old")) }
            val crashed = openWriter(box.run, crashAt(StorageStep.MOVE_INTO_PLACE))
            shouldThrow<SimulatedCrash> { crashed.commit(box.run.resolve("best"), info(2, best = true), model("new")) }
            crashed.close()
            Files.exists(box.run.resolve("best")) shouldBe false
            val best = RunReader.open(box.run).best()!!
            best.directory shouldNotBe box.run.resolve("best")
            Files.readString(best.file("model.json")) shouldBe "old"
            best.verify() shouldBe CheckpointStatus.Ok
        }
    }
})

data class HostileManifest(val name: String, val json: String, val expected: String) {
    override fun toString() = name
}

private const val SHA = "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""

private fun manifestText(
    path: String = "\"e01\"",
    version: String = "1",
    best: String = path,
    epoch: String = "1",
    extra: String = "",
    sha: String = SHA,
) = """{"formatVersion": $version, "policyFingerprint": "fp", "best": $best, "latest": $path,
  "checkpoints": [{"path": $path, "kind": "weights", "epoch": $epoch, "batch": null, "step": 10,
    "metrics": {"loss": 0.5}, "monitor": "loss", "monitorValue": 0.5, "createdAt": "2024-05-01T12:00:00Z",
    "checkpointSha256": $sha}],
  "engineState": null$extra}
"""

val HOSTILE_MANIFESTS: List<HostileManifest> = listOf(
    HostileManifest("truncated JSON", manifestText().take(120), "not valid JSON"),
    HostileManifest("empty file", "", "is empty"),
    HostileManifest("not an object", "[1, 2]", "must hold a JSON object"),
    HostileManifest("unknown formatVersion", manifestText(version = "7"), "unsupported formatVersion 7"),
    HostileManifest("formatVersion as a string", manifestText(version = "\"1\""), "formatVersion must be an integer"),
    HostileManifest("missing formatVersion", "{\"checkpoints\": []}", "formatVersion must be an integer"),
    HostileManifest("epoch of the wrong type", manifestText(epoch = "\"one\""), "epoch"),
    HostileManifest("negative epoch", manifestText(epoch = "-1"), "epoch of \"e01\" must be >= 0"),
    HostileManifest("checkpoints of the wrong type", """{"formatVersion": 1, "policyFingerprint": "fp", "checkpoints": "e01"}""", "checkpoints"),
    HostileManifest("parent-directory path", manifestText(path = "\"../outside\""), "must not contain \"..\""),
    HostileManifest("nested parent-directory path", manifestText(path = "\"a/../../outside\""), "must not contain \"..\""),
    HostileManifest("absolute path", manifestText(path = "\"/etc/passwd\""), "must be relative"),
    HostileManifest("backslash path", manifestText(path = "\"..\\\\outside\""), "backslash"),
    HostileManifest("best not among the checkpoints", manifestText(best = "\"e09\""), "best \"e09\" is not one of the checkpoints"),
    HostileManifest("malformed checksum", manifestText(sha = "\"xyz\""), "checkpointSha256"),
    HostileManifest("unknown field", manifestText(extra = ", \"deleteEverything\": true"), "deleteEverything"),
    HostileManifest("metric as an arbitrary string", manifestText().replace("\"loss\": 0.5", "\"loss\": \"big\""), "metric value"),
)

class DefaultFileSystemStorageTest : StorageContract({ DefaultSandbox() })

class JimfsStorageTest : StorageContract({ JimfsSandbox() })

/** The OS file lock (not only the in-process registry) refuses a writer; only the default file system has real locks. */
class OsFileLockTest : FunSpec({
    test("a run whose run.lock is locked by someone else is refused, naming the holder written in it") {
        DefaultSandbox().use { box ->
            Files.createDirectories(box.run)
            val lockFile = box.run.resolve("run.lock")
            Files.writeString(lockFile, "pid 777 on another host")
            java.nio.channels.FileChannel.open(lockFile, java.nio.file.StandardOpenOption.WRITE).use { channel ->
                channel.lock().use {
                    val error = shouldThrow<RunLockedException> { RunWriter.open(box.run, "fp") }
                    error.holder shouldBe "pid 777 on another host"
                    error.message shouldContain "one writer at a time"
                }
            }
            RunWriter.open(box.run, "fp").close()
        }
    }
})

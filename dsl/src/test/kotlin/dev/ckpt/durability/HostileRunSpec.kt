package dev.ckpt.durability

import dev.ckpt.Checkpoints
import dev.ckpt.kotlindl.Digits
import dev.ckpt.checkpoint
import dev.ckpt.CheckpointStatus
import dev.ckpt.CorruptRunException
import dev.ckpt.storage.copyTree
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import java.io.IOException
import java.nio.file.Files
import java.nio.file.Path
import java.security.MessageDigest
import kotlin.io.path.readBytes
import kotlin.io.path.writeText
import kotlin.streams.toList

/**
 * A damaged or hostile `manifest.json` (or `checkpoint.json`) met through the user-facing API: `Checkpoints.open`
 * and a `resume = true` training both refuse it with a message naming the file and the problem, and nothing
 * outside the run directory changes. Next to the run sits `runs/outside`, a copy of a real checkpoint plus a
 * file, the bait a `..` or absolute path would reach.
 */
class HostileRunSpec : FunSpec({
    val (train, valid) = (Digits.train() to Digits.validation())
    fun saver(base: Path, resume: Boolean = true) = checkpoint("runs/h/e{epoch:02d}") { monitor = "val_loss"; this.resume = resume; directory = base }

    /** A genuine two-epoch run, trained once and copied for each case. */
    val pristine: Path by lazy {
        val base = tempdir().toPath()
        Digits.newCompiledModel().use { it.fit(train, valid, 2, 32, 64, listOf(saver(base, resume = false))) }
        base
    }

    fun freshCopy(): Path {
        val base = tempdir().toPath()
        copyTree(pristine, base)
        copyTree(pristine.resolve("runs/h/e01"), base.resolve("runs/outside"))
        base.resolve("runs/outside/secret.txt").writeText("not ckpt's")
        return base
    }

    data class Case(val name: String, val expected: String, val damage: (base: Path, manifest: JsonObject) -> String) {
        override fun toString() = name
    }

    val outsideAbsolute: (Path) -> String = { base -> base.resolve("runs/outside").toString() }

    context("a damaged manifest.json: Checkpoints.open and resume both refuse it, nothing outside the run changes") {
        withData(
            Case("truncated", "is not valid JSON") { base, _ ->
                val text = Files.readString(base.resolve("runs/h/manifest.json"))
                text.substring(0, text.length / 2)
            },
            Case("empty (zero bytes)", "is empty") { _, _ -> "" },
            Case("epoch of a checkpoint is a string", "epoch") { _, m ->
                m.editEntry(0) { it + ("facts" to JsonObject(it.getValue("facts").jsonObject + ("epoch" to JsonPrimitive("one")))) }.toString()
            },
            Case("an entry lost its facts", "checkpoints[0] (\"e01\") lacks the required field facts") { _, m -> m.editEntry(0) { it - "facts" }.toString() },
            Case("checkpoints is an object", "checkpoints") { _, m -> JsonObject(m + ("checkpoints" to JsonObject(emptyMap()))).toString() },
            Case("unknown formatVersion 3", "unsupported formatVersion 3") { _, m -> JsonObject(m + ("formatVersion" to JsonPrimitive(3))).toString() },
            Case("formatVersion as a string", "formatVersion must be an integer") { _, m ->
                JsonObject(m + ("formatVersion" to JsonPrimitive("1"))).toString()
            },
            Case("latest checkpoint path is ../outside", "must not contain \"..\"") { _, m -> m.moveLatestTo("../outside").toString() },
            Case("latest checkpoint path is absolute", "must be relative to the run directory, not absolute") { base, m ->
                m.moveLatestTo(outsideAbsolute(base)).toString()
            },
            Case("best names a path that is not a listed checkpoint", "is not one of the checkpoints") { _, m ->
                JsonObject(m + ("best" to JsonPrimitive("../outside"))).toString()
            },
        ) { case ->
            val base = freshCopy()
            val manifestFile = base.resolve("runs/h/manifest.json")
            val original = Json.parseToJsonElement(Files.readString(manifestFile)).jsonObject
            manifestFile.writeText(case.damage(base, original))
            val before = snapshot(base)

            val opened = shouldThrow<CorruptRunException> { Checkpoints.open(base.resolve("runs/h")) }
            opened.file shouldBe manifestFile.toString()
            opened.message shouldContain case.expected

            val resumed = shouldThrow<IOException> { Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(saver(base))) } }
            resumed.shouldBeInstanceOf<CorruptRunException>()
            resumed.message shouldContain manifestFile.toString()
            resumed.message shouldContain case.expected

            // Only the lock file (written by the refused writer, inside the run) may differ.
            snapshot(base).filterKeys { it != "runs/h/run.lock" } shouldBe before.filterKeys { it != "runs/h/run.lock" }
        }
    }

    test("a checkpoint.json listing a file outside its checkpoint (manifest hash updated to match) fails verify, load and resume") {
        val base = freshCopy()
        val run = base.resolve("runs/h")
        val metadataFile = run.resolve("e02/checkpoint.json")
        val metadata = Json.parseToJsonElement(Files.readString(metadataFile)).jsonObject
        val files = metadata.getValue("files").jsonArray
        val hostileFile = JsonObject(files[0].jsonObject + ("path" to JsonPrimitive("../../outside/secret.txt")))
        val hostile = JsonObject(metadata + ("files" to JsonArray(listOf(hostileFile) + files.drop(1))))
        metadataFile.writeText(hostile.toString())
        // The attacker also fixes the manifest's record of the metadata hash, so only path validation can stop it.
        val manifestFile = run.resolve("manifest.json")
        val manifest = Json.parseToJsonElement(Files.readString(manifestFile)).jsonObject
        manifestFile.writeText(manifest.editEntry(1) { it + ("checkpointSha256" to JsonPrimitive(sha256(metadataFile.readBytes()))) }.toString())
        val before = snapshot(base)

        val opened = Checkpoints.open(run)
        val status = opened.verify().status("e02")
        status.shouldBeInstanceOf<CheckpointStatus.Corrupt>()
        status.actual shouldContain "must not contain \"..\""
        opened.verify().status("e01") shouldBe CheckpointStatus.Ok
        val load = shouldThrow<IOException> { Digits.newCompiledModel().use { opened.latest().loadWeightsInto(it) } }
        load.message shouldContain "checkpoint e02 is corrupt"

        val resumed = shouldThrow<IOException> { Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(saver(base))) } }
        resumed.message shouldContain "resume: the latest checkpoint e02"
        resumed.message shouldContain "does not verify"
        snapshot(base).filterKeys { it != "runs/h/run.lock" } shouldBe before.filterKeys { it != "runs/h/run.lock" }
    }

    test("an engineState of the wrong shape: the run opens read-only, but resume refuses it naming engineState") {
        val base = freshCopy()
        val manifestFile = base.resolve("runs/h/manifest.json")
        val manifest = Json.parseToJsonElement(Files.readString(manifestFile)).jsonObject
        val state = manifest.getValue("engineState").jsonObject
        manifestFile.writeText(JsonObject(manifest + ("engineState" to JsonObject(state + ("globalStep" to JsonPrimitive("many"))))).toString())
        val before = snapshot(base)

        Checkpoints.open(base.resolve("runs/h")).verify().allOk shouldBe true
        val resumed = shouldThrow<IllegalArgumentException> { Digits.newCompiledModel().use { it.fit(train, valid, 1, 32, 64, listOf(saver(base))) } }
        resumed.message shouldContain "engineState is not readable"
        snapshot(base).filterKeys { it != "runs/h/run.lock" } shouldBe before.filterKeys { it != "runs/h/run.lock" }
    }
})

private fun JsonObject.editEntry(index: Int, edit: (JsonObject) -> Map<String, JsonElement>): JsonObject {
    val entries = getValue("checkpoints").jsonArray.mapIndexed { i, e -> if (i == index) JsonObject(edit(e.jsonObject)) else e }
    return JsonObject(this + ("checkpoints" to JsonArray(entries)))
}

/** Renames the latest checkpoint's entry (and the latest/best pointers to it) to [path]. */
private fun JsonObject.moveLatestTo(path: String): JsonObject {
    val latest = (getValue("latest") as JsonPrimitive).content
    val entries = getValue("checkpoints").jsonArray.map { e ->
        if ((e.jsonObject.getValue("path") as JsonPrimitive).content == latest) JsonObject(e.jsonObject + ("path" to JsonPrimitive(path))) else e
    }
    val best = (get("best") as? JsonPrimitive)?.takeIf { it.isString }?.content
    return JsonObject(
        this + ("checkpoints" to JsonArray(entries)) + ("latest" to JsonPrimitive(path)) +
            (if (best == latest) mapOf("best" to JsonPrimitive(path)) else emptyMap()),
    )
}

/** Every file and directory under [base], relative, with its content hash and modification time. */
internal fun snapshot(base: Path): Map<String, String> = Files.walk(base).use { paths ->
    paths.toList().associate { p ->
        val rel = base.relativize(p).joinToString("/")
        rel to if (Files.isDirectory(p)) "dir" else sha256(Files.readAllBytes(p)) + "@" + Files.getLastModifiedTime(p).toMillis()
    }
}

internal fun sha256(bytes: ByteArray): String = MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }

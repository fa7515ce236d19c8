package dev.ckpt.storage

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.property.Arb
import io.kotest.property.arbitrary.bind
import io.kotest.property.arbitrary.boolean
import io.kotest.property.arbitrary.double
import io.kotest.property.arbitrary.element
import io.kotest.property.arbitrary.enum
import io.kotest.property.arbitrary.int
import io.kotest.property.arbitrary.list
import io.kotest.property.arbitrary.long
import io.kotest.property.arbitrary.map
import io.kotest.property.arbitrary.orNull
import io.kotest.property.arbitrary.string
import io.kotest.property.checkAll
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.put
import java.nio.file.Files
import java.nio.file.Path
import java.time.Instant

/** Pins the on-disk JSON field names (the README documents them) and the manifest round trip. */
class StorageFormatTest : FunSpec({

    test("manifest.json and checkpoint.json carry exactly the documented fields, in order") {
        JimfsSandbox().use { box ->
            openWriter(box.run).use { w ->
                w.commit(box.run.resolve("e01"), info(1, best = true), buildJsonObject { put("k", 1) }, model("m"))
            }
            val manifest = StorageJson.parseToJsonElement(Files.readString(box.run.resolve("manifest.json"))).jsonObject
            manifest.keys.toList() shouldContainExactly
                listOf("formatVersion", "policyFingerprint", "best", "latest", "checkpoints", "engineState")
            manifest["checkpoints"]!!.jsonArray[0].jsonObject.keys.toList() shouldContainExactly listOf(
                "path", "kind", "epoch", "batch", "step", "metrics", "monitor", "monitorValue", "createdAt", "checkpointSha256",
            )
            val meta = StorageJson.parseToJsonElement(Files.readString(box.run.resolve("e01/checkpoint.json"))).jsonObject
            meta.keys.toList() shouldContainExactly listOf(
                "formatVersion", "kind", "epoch", "batch", "step", "metrics", "monitor", "best", "createdAt", "files",
            )
            (meta["files"]!!.jsonArray[0] as JsonObject).keys.toList() shouldContainExactly listOf("path", "size", "sha256")
            meta["kind"] shouldBe JsonPrimitive("weights")
            meta["createdAt"] shouldBe JsonPrimitive("2024-05-01T12:00:00Z")
            manifest["formatVersion"] shouldBe JsonPrimitive(1)
        }
    }

    test("every valid manifest survives an encode/decode round trip") {
        val metric = Arb.element(0.5, -1.0, 0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e-300)
        val metrics = Arb.map(Arb.element("loss", "val_loss", "acc", "val_acc"), Arb.double().orNull(0.0).map { it ?: 0.0 }, 0, 3)
        val entry = Arb.bind(
            Arb.int(0..1000), Arb.int(0..100).orNull(), Arb.long(0L..1_000_000L), Arb.enum<CheckpointKind>(), metrics, metric.orNull(),
        ) { epoch, batch, step, kind, ms, mv ->
            ManifestEntry(
                path = "e$epoch", kind = kind, epoch = epoch, batch = batch, step = step, metrics = ms, monitor = "loss",
                monitorValue = mv, createdAt = Instant.ofEpochSecond(step), checkpointSha256 = "%064x".format(step),
            )
        }
        checkAll(200, Arb.list(entry, 0..6), Arb.boolean(), Arb.string(0..20)) { raw, pickBest, fingerprint ->
            val entries = raw.distinctBy { it.path }
            val manifest = Manifest(
                policyFingerprint = fingerprint,
                best = entries.firstOrNull()?.path?.takeIf { pickBest },
                latest = entries.lastOrNull()?.path,
                checkpoints = entries,
                engineState = buildJsonObject { put("n", entries.size) },
            )
            val bytes = encodeBytes(Manifest.serializer(), manifest)
            decodeStrict(Path.of("manifest.json"), bytes, Manifest.serializer()) shouldBe manifest
        }
    }
})

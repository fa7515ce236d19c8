package dev.ckpt.storage

import dev.ckpt.CheckpointKind
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
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import java.nio.file.Files
import java.time.Instant

/** Pins the on-disk JSON field names (docs/format.md documents them) and the manifest round trip. */
class StorageFormatTest : FunSpec({

    test("manifest.json and checkpoint.json carry exactly the documented fields, in order") {
        JimfsSandbox().use { box ->
            openWriter(box.run).use { w ->
                w.commit("e01", facts(1, best = true), model("m"), w.planned("e01", "e01", state = StoredEngineState(0, 1, 3, 0, 4, 0.01, null)))
            }
            val manifest = StorageJson.parseToJsonElement(Files.readString(box.run.resolve("manifest.json"))).jsonObject
            manifest.keys.toList() shouldContainExactly
                listOf("formatVersion", "runId", "policyFingerprint", "best", "latest", "checkpoints", "releasing", "engineState")
            val entry = manifest["checkpoints"]!!.jsonArray[0].jsonObject
            entry.keys.toList() shouldContainExactly listOf("path", "checkpointSha256", "facts")
            val factFields = listOf("kind", "epoch", "batch", "step", "metrics", "monitor", "monitorValue", "best", "createdAt", "modelClass", "data")
            entry["facts"]!!.jsonObject.keys.toList() shouldContainExactly factFields
            manifest["engineState"]!!.jsonObject.keys.toList() shouldContainExactly listOf(
                "currentEpoch", "completedEpochs", "lastBatchSeen", "batchesSinceSave", "globalStep", "best", "intervalAnchorMillis",
            )
            val meta = StorageJson.parseToJsonElement(Files.readString(box.run.resolve("e01/checkpoint.json"))).jsonObject
            meta.keys.toList() shouldContainExactly listOf("formatVersion", "runId", "facts", "files")
            meta["facts"]!!.jsonObject.keys.toList() shouldContainExactly factFields
            (meta["files"]!!.jsonArray[0] as JsonObject).keys.toList() shouldContainExactly listOf("path", "size", "sha256")
            meta["facts"]!!.jsonObject["kind"] shouldBe JsonPrimitive("weights")
            meta["facts"]!!.jsonObject["createdAt"] shouldBe JsonPrimitive("2024-05-01T12:00:00Z")
            meta["runId"] shouldBe manifest["runId"]
            manifest["formatVersion"] shouldBe JsonPrimitive(2)
        }
    }

    test("every valid manifest survives an encode/decode round trip") {
        val metric = Arb.element(0.5, -1.0, 0.0, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e-300)
        val metrics = Arb.map(Arb.element("loss", "val_loss", "acc", "val_acc"), Arb.double().orNull(0.0).map { it ?: 0.0 }, 0, 3)
        val entry = Arb.bind(
            Arb.int(0..1000), Arb.int(0..100).orNull(), Arb.long(0L..1_000_000L), Arb.enum<CheckpointKind>(), metrics, metric.orNull(),
        ) { epoch, batch, step, kind, ms, mv ->
            ManifestEntry(
                "e$epoch", "%064x".format(step),
                CheckpointFacts(
                    kind, epoch, batch, step, ms, "loss", mv, epoch % 2 == 0, Instant.ofEpochSecond(step), "Sequential",
                    batch?.let { DataFacts(1437, 32, "%016x".format(step)) },
                ),
            )
        }
        checkAll(200, Arb.list(entry, 0..6), Arb.boolean(), Arb.string(0..20)) { raw, pickBest, fingerprint ->
            val entries = raw.distinctBy { it.path }
            val (kept, releasing) = entries.withIndex().partition { it.index % 3 != 2 }.let { (a, b) -> a.map { it.value } to b.map { it.value } }
            val manifest = Manifest(
                runId = "run-$fingerprint",
                policySettings = fingerprint,
                best = kept.firstOrNull()?.path?.takeIf { pickBest },
                latest = kept.lastOrNull()?.path,
                checkpoints = kept,
                releasing = releasing,
                engineState = StoredEngineState(1, 2, 3, 4, 5, Double.NaN, 6L).toJson(),
            )
            val decoded = Codecs.decodeManifest("manifest.json", Codecs.encode(manifest))
            decoded shouldBe manifest
            StoredEngineState.of(decoded.engineState!!, "manifest.json").best!!.isNaN() shouldBe true
        }
    }
})

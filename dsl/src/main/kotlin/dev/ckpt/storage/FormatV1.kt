package dev.ckpt.storage

import dev.ckpt.CheckpointKind
import kotlinx.serialization.Serializable
import java.time.Instant
import java.util.UUID

/**
 * Format 1, as ckpt 0.1.0-SNAPSHOT before the manifest became the only owner of the checkpoint list: read,
 * converted to the current format, never written. A run written in format 1 opens, verifies, restores and
 * resumes; its first new commit rewrites the manifest in the current format (old `checkpoint.json` files stay).
 */
internal object FormatV1 {
    @Serializable
    private data class EntryV1(
        val path: String,
        @Serializable(with = CheckpointKindSerializer::class)
        val kind: CheckpointKind,
        val epoch: Int,
        val batch: Int?,
        val step: Long,
        val metrics: Map<String, @Serializable(with = MetricValueSerializer::class) Double>,
        val monitor: String?,
        @Serializable(with = MetricValueSerializer::class)
        val monitorValue: Double?,
        @Serializable(with = InstantSerializer::class)
        val createdAt: Instant,
        val checkpointSha256: String,
    )

    @Serializable
    private data class KeptV1(
        val path: String,
        val epoch: Int,
        val batch: Int?,
        val step: Long,
        @Serializable(with = MetricValueSerializer::class)
        val monitorValue: Double?,
    )

    @Serializable
    private data class EngineStateV1(
        val currentEpoch: Int,
        val completedEpochs: Int,
        val lastBatchSeen: Int,
        val batchesSinceSave: Long,
        val globalStep: Long,
        @Serializable(with = MetricValueSerializer::class)
        val best: Double?,
        val intervalAnchorMillis: Long?,
        /** Format paths (the run directory included) of the checkpoints the engine still kept. */
        val checkpoints: List<KeptV1>,
        val bestPath: String?,
        val latestPath: String?,
    ) {
        /** Format 2's engine state: these counters without the list, which the manifest owns now. */
        fun current(): StoredEngineState =
            StoredEngineState(currentEpoch, completedEpochs, lastBatchSeen, batchesSinceSave, globalStep, best, intervalAnchorMillis)
    }

    @Serializable
    private data class ManifestV1(
        val formatVersion: Int,
        val policyFingerprint: String,
        val best: String? = null,
        val latest: String? = null,
        val checkpoints: List<EntryV1> = emptyList(),
        val engineState: EngineStateV1? = null,
    )

    @Serializable
    private data class MetadataV1(
        val formatVersion: Int,
        @Serializable(with = CheckpointKindSerializer::class)
        val kind: CheckpointKind,
        val epoch: Int,
        val batch: Int?,
        val step: Long,
        val metrics: Map<String, @Serializable(with = MetricValueSerializer::class) Double>,
        val monitor: String?,
        val best: Boolean,
        @Serializable(with = InstantSerializer::class)
        val createdAt: Instant,
        val files: List<FileEntry>,
    )

    val manifest: FormatCodec<Manifest> = FormatCodec(ManifestV1.serializer()) { v1 ->
        val entries = v1.checkpoints.map { e ->
            ManifestEntry(
                e.path, e.checkpointSha256,
                CheckpointFacts(e.kind, e.epoch, e.batch, e.step, e.metrics, e.monitor, e.monitorValue, e.path == v1.best, e.createdAt),
            )
        }
        // Format 1 deleted released checkpoints after the write that dropped them from the engine's list: entries
        // the engine no longer kept are releases a crash interrupted. They become pending releases now.
        val kept = v1.engineState?.checkpoints?.map { it.path }
        val (listed, released) = if (kept == null) {
            entries to emptyList()
        } else {
            entries.partition { e -> e.path == v1.best || e.path == v1.latest || kept.any { it == e.path || it.endsWith("/" + e.path) } }
        }
        val state = v1.engineState?.current()?.toJson()
        Manifest(FORMAT_VERSION, UUID.randomUUID().toString(), v1.policyFingerprint, v1.best, v1.latest, listed, released, state)
    }

    val metadata: FormatCodec<CheckpointMetadata> = FormatCodec(MetadataV1.serializer()) { v1 ->
        CheckpointMetadata(
            FORMAT_VERSION, null,
            CheckpointFacts(v1.kind, v1.epoch, v1.batch, v1.step, v1.metrics, v1.monitor, v1.monitor?.let { v1.metrics[it] }, v1.best, v1.createdAt),
            v1.files,
        )
    }
}

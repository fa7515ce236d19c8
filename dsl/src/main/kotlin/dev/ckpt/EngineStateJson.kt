package dev.ckpt

import dev.ckpt.core.engine.CommittedCheckpoint
import dev.ckpt.core.engine.EngineState
import dev.ckpt.storage.MetricValueSerializer
import kotlinx.serialization.Serializable
import kotlinx.serialization.SerializationException
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonElement

/** The engine's state as stored in `manifest.json` under `engineState`. */
internal object EngineStateJson {
    private val json = Json { encodeDefaults = true; explicitNulls = true; ignoreUnknownKeys = false }

    internal fun encode(state: EngineState): JsonElement = json.encodeToJsonElement(StoredState.serializer(), StoredState.of(state))

    /** @throws IllegalArgumentException when [element] is not an engine state this version wrote */
    internal fun decode(element: JsonElement): EngineState = try {
        json.decodeFromJsonElement(StoredState.serializer(), element).toState()
    } catch (e: SerializationException) {
        throw IllegalArgumentException("manifest.json: engineState is not readable: ${e.message}", e)
    }

    @Serializable
    private data class StoredCheckpoint(
        val path: String,
        val epoch: Int,
        val batch: Int?,
        val step: Long,
        val monitorValue: @Serializable(with = MetricValueSerializer::class) Double?,
    )

    @Serializable
    private data class StoredState(
        val currentEpoch: Int,
        val completedEpochs: Int,
        val lastBatchSeen: Int,
        val batchesSinceSave: Long,
        val globalStep: Long,
        val best: @Serializable(with = MetricValueSerializer::class) Double?,
        val intervalAnchorMillis: Long?,
        val checkpoints: List<StoredCheckpoint>,
        val bestPath: String?,
        val latestPath: String?,
    ) {
        fun toState(): EngineState = EngineState(
            currentEpoch, completedEpochs, lastBatchSeen, batchesSinceSave, globalStep, best, intervalAnchorMillis,
            checkpoints.map { CommittedCheckpoint(it.path, it.epoch, it.batch, it.step, it.monitorValue) },
            bestPath, latestPath,
        )

        companion object {
            fun of(s: EngineState): StoredState = StoredState(
                s.currentEpoch(), s.completedEpochs(), s.lastBatchSeen(), s.batchesSinceSave(), s.globalStep(),
                s.best(), s.intervalAnchorMillis(),
                s.checkpoints().map { StoredCheckpoint(it.path(), it.epoch(), it.batch(), it.step(), it.monitorValue()) },
                s.bestPath(), s.latestPath(),
            )
        }
    }
}

package dev.ckpt.kotlindl

import dev.ckpt.CheckpointKind
import dev.ckpt.storage.CheckpointFile
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel

/**
 * A copy of a model's variables at one step, in host memory: taken on the training thread (the only work that
 * must happen there), turned into KotlinDL's native files later, on any thread. Training may go on meanwhile:
 * the snapshot never reads the live model again, so a checkpoint always holds one consistent step.
 */
internal class ModelSnapshot private constructor(
    val kind: CheckpointKind,
    /** The KotlinDL model class (`Sequential`, `Functional`). */
    val modelClass: String,
    private val configJson: String?,
    private val variables: List<VariableValue>,
    /** Nanoseconds of [take]: its session run, and copying the tensors into host buffers (see [dev.ckpt.SavePointEvent]). */
    val fetchNanos: Long = 0,
    val copyNanos: Long = 0,
    private val lease: SnapshotBuffers.Lease? = null,
) {
    /** Number of floats held. */
    val floatCount: Long get() = variables.sumOf { it.size().toLong() }

    /**
     * The checkpoint's files in KotlinDL 0.4.0's `JSON_CONFIG_CUSTOM_VARIABLES` layout, each formatted only when
     * its bytes are asked for: `modelConfig.json` (full checkpoints), `variableNames.txt`, one `.txt` per variable.
     * Each variable's file carries the digest of its raw floats, so an unchanged variable (a frozen layer) can be
     * taken from the previous checkpoint instead of formatted again.
     */
    fun files(): List<CheckpointFile> = buildList {
        configJson?.let { json -> add(CheckpointFile(NativeLayout.MODEL_CONFIG) { json.toByteArray(Charsets.UTF_8) }) }
        val names = buildString { variables.forEach { append(it.name()).append('\n') } }
        add(CheckpointFile(NativeLayout.VARIABLE_NAMES) { names.toByteArray(Charsets.UTF_8) })
        for (v in variables) {
            add(CheckpointFile(NativeLayout.variableFile(v.name()), rawDigest = { RawDigest.of(v.values()) }) { format(v) })
        }
    }

    /**
     * Hands this snapshot's arrays to the next snapshot of the same [SnapshotBuffers]; its files cannot be read after
     * this (reading one throws [IllegalStateException]). The writer calls it once its commit returned or failed.
     */
    fun release() {
        lease?.release()
    }

    /** The host array holding the [index]-th variable when taken with [SnapshotBuffers], else null (tests check reuse). */
    internal fun leasedArray(index: Int): FloatArray? = lease?.arrayAt(index)

    private fun format(v: VariableValue): ByteArray = FloatText.format(v.values())

    companion object {
        /**
         * Copies [model]'s layer variables and, for a [CheckpointKind.FULL] checkpoint, its optimizer variables, in
         * one session run. [configJson] is the model's configuration ([configurationOf]), needed for full checkpoints.
         * With [buffers], the floats go into the arrays of the last [release]d snapshot taken from them (new arrays
         * while that one is still being written), so a run's save points stop allocating after the first.
         *
         * @throws IllegalStateException if the model has no weights yet, or, for a full checkpoint, no optimizer state
         */
        fun take(model: GraphTrainableModel, kind: CheckpointKind, configJson: String?, buffers: SnapshotBuffers? = null): ModelSnapshot {
            val full = kind == CheckpointKind.FULL
            require(!full || configJson != null) { "a full checkpoint needs the model configuration" }
            val phases = LongArray(2)
            val lease = buffers?.lease()
            val values = try {
                KotlinDlAccess.readVariables(model, full, phases, lease)
            } catch (e: Throwable) {
                lease?.release() // nothing reads these arrays: the next snapshot may have them
                throw e
            }
            values.forEach { NativeLayout.requireFileSafe(it.name()) }
            return ModelSnapshot(kind, ModelType.nameOf(model), if (full) configJson else null, values, phases[0], phases[1], lease)
        }

        /** The model configuration as the exact JSON text KotlinDL's `save` writes; it does not change while training. */
        fun configurationOf(model: GraphTrainableModel): String = KotlinDlAccess.modelConfigJson(model)
    }
}

package dev.ckpt.storage

import kotlinx.serialization.Serializable
import java.time.Instant

/**
 * The content of a checkpoint's `checkpoint.json`: what was saved, when, and a checksum of every other file.
 *
 * ```kotlin
 * val meta = RunReader.open(root).latest()?.metadata()
 * println("epoch ${meta?.epoch}: ${meta?.files?.size} files")
 * ```
 *
 * It deliberately does not describe the model format: the files are opaque bytes to storage.
 * Metric values that JSON cannot express are stored as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
 */
@Serializable
public data class CheckpointMetadata(
    /** Version of this file's format; this ckpt reads and writes 1. */
    public val formatVersion: Int = FORMAT_VERSION,
    /** Weights only or full model. */
    public val kind: CheckpointKind,
    /** Epoch the checkpoint was taken at. */
    public val epoch: Int,
    /** Batch within the epoch, or null for an epoch-end save. */
    public val batch: Int?,
    /** Global step. */
    public val step: Long,
    /** Logged metrics at save time. */
    public val metrics: Map<String, @Serializable(with = MetricValueSerializer::class) Double>,
    /** Name of the monitored metric, or null. */
    public val monitor: String?,
    /** Whether the engine marked this checkpoint as the best when it was saved. */
    public val best: Boolean,
    /** When the checkpoint was committed (from the writer's clock), ISO-8601. */
    @Serializable(with = InstantSerializer::class)
    public val createdAt: Instant,
    /** Every other file of the checkpoint, recursively, sorted by path. */
    public val files: List<FileEntry>,
) {
    init {
        require(formatVersion == FORMAT_VERSION) { "formatVersion must be $FORMAT_VERSION, got $formatVersion" }
        require(epoch >= 0) { "epoch must be >= 0, got $epoch" }
        require(step >= 0) { "step must be >= 0, got $step" }
        require(batch == null || batch >= 0) { "batch must be null or >= 0, got $batch" }
        val paths = HashSet<String>()
        for (file in files) {
            require(paths.add(file.path)) { "files lists \"${file.path}\" twice" }
            require(file.path != METADATA_FILE) { "files must not list $METADATA_FILE itself" }
        }
    }

    internal companion object {
        const val METADATA_FILE: String = "checkpoint.json"
    }
}

/**
 * One file of a checkpoint as recorded in `checkpoint.json`.
 *
 * ```kotlin
 * FileEntry(path = "variables/dense_1.kernel.txt", size = 4096, sha256 = "9f86d0…")
 * ```
 *
 * It deliberately records no timestamps or permissions: only what [RunReader.verify] checks.
 */
@Serializable
public data class FileEntry(
    /** Path relative to the checkpoint directory, `/`-separated. */
    public val path: String,
    /** Size in bytes. */
    public val size: Long,
    /** SHA-256 of the content, lowercase hex. */
    public val sha256: String,
) {
    init {
        RelativePaths.require(path, "file path")
        require(size >= 0) { "size of \"$path\" must be >= 0, got $size" }
        require(SHA256_HEX.matches(sha256)) { "sha256 of \"$path\" must be 64 lowercase hex digits, got \"$sha256\"" }
    }
}

internal val SHA256_HEX: Regex = Regex("[0-9a-f]{64}")

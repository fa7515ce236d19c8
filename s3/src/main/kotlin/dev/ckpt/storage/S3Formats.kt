package dev.ckpt.storage

import kotlinx.serialization.Serializable
import java.time.Instant

/**
 * The marker of a checkpoint write in progress on an object store, `.<name>.ckpt-tmp-<hex>` beside the checkpoint:
 * written before the first object of the checkpoint, deleted after `manifest.json` recorded it (or after the write
 * was undone). It lists every key the write creates, so the next writer can remove exactly those after a crash,
 * and the version the write replaces, so the next writer can finish an overwrite the crash cut short.
 */
@Serializable
internal data class PendingWrite(
    val formatVersion: Int = FORMAT_VERSION,
    /** The run the write belongs to. */
    val runId: String?,
    /** The checkpoint's path in the run. */
    val path: String,
    /** Where its objects go: [path] itself, or a version prefix `.<name>.ckpt-ver-<hex>` beside it. */
    val storedAt: String,
    /** The objects written under [storedAt], `checkpoint.json` last. */
    val files: List<String>,
    /** Stored versions of [path] that the write replaces: deleted once the manifest records it. */
    val replaces: List<String>,
    /** Who wrote it. */
    val writer: String,
) {
    init {
        checkpointPathProblem(path)?.let { throw IllegalArgumentException("path \"$path\" $it") }
        (replaces + storedAt).forEach { require(isStorageOf(path, it)) { "\"$it\" is neither \"$path\" nor a version of it" } }
        files.forEach { RelativePaths.require(it, "file") }
        require(files.lastOrNull() == METADATA_FILE) { "files must end with $METADATA_FILE" }
    }

    companion object {
        /** Whether [stored] is where a version of the checkpoint at [path] may be: [path], or `.<name>.ckpt-ver-<hex>` beside it. */
        fun isStorageOf(path: String, stored: String): Boolean {
            if (stored == path) return true
            RelativePaths.problem(stored)?.let { return false }
            val name = Leftovers.parse(stored.substringAfterLast('/')) ?: return false
            return name.kind == Leftovers.Kind.VERSION && name.target == path.substringAfterLast('/') &&
                parentOf(stored) == parentOf(path)
        }

        /** The directory part of a run-relative path, with a trailing '/', or "" at the run root. */
        fun parentOf(path: String): String = if ('/' in path) path.substringBeforeLast('/') + "/" else ""
    }
}

/** `run.lock` on an object store that ignores conditional writes: who holds the run, until when. */
@Serializable
internal data class LeaseRecord(
    val owner: String,
    val token: String,
    @Serializable(with = InstantSerializer::class)
    val expiresAt: Instant,
)

internal object S3Formats {
    private val pendingCodecs = mapOf(FORMAT_VERSION to FormatCodec(PendingWrite.serializer()) { it })

    fun decodePending(where: String, bytes: ByteArray): PendingWrite = decodeStrict(where, bytes, pendingCodecs)

    fun encode(pending: PendingWrite): ByteArray = encodeBytes(PendingWrite.serializer(), pending)

    fun decodeLease(where: String, bytes: ByteArray): LeaseRecord = try {
        StorageJson.decodeFromString(LeaseRecord.serializer(), bytes.toString(Charsets.UTF_8))
    } catch (e: kotlinx.serialization.SerializationException) {
        throw dev.ckpt.CorruptRunException(where, "is not a lease ckpt wrote: ${e.message?.lineSequence()?.first()}", e)
    } catch (e: IllegalArgumentException) {
        throw dev.ckpt.CorruptRunException(where, "is not a lease ckpt wrote: ${e.message}", e)
    }

    fun encode(lease: LeaseRecord): ByteArray = encodeBytes(LeaseRecord.serializer(), lease)
}

package dev.ckpt.storage

import dev.ckpt.CheckpointStatus
import dev.ckpt.CheckpointVerification
import dev.ckpt.CorruptRunException
import dev.ckpt.VerifyReport
import java.io.IOException
import java.nio.file.NoSuchFileException

/**
 * A read-only view of a run: the manifest's checkpoints, the best, the latest, their metadata and files, and
 * verification. It takes no lock and changes nothing (recovering a crashed writer's leftovers is the next
 * writer's job); it is a snapshot of the manifest when opened. Checkpoints being released are not shown.
 */
internal class RunReader private constructor(val store: RunStore, val manifest: Manifest) {
    /** The listed checkpoints, oldest commit first. */
    val checkpoints: List<ManifestEntry> get() = manifest.checkpoints

    fun best(): ManifestEntry? = manifest.best?.let { manifest.entry(it) }

    fun latest(): ManifestEntry? = manifest.latest?.let { manifest.entry(it) }

    /**
     * Reads the checkpoint's `checkpoint.json`, refusing it unless its SHA-256 is the one the manifest recorded.
     *
     * @throws CorruptRunException when it is missing, changed since the commit, or malformed
     */
    @Throws(IOException::class)
    fun metadata(entry: ManifestEntry): CheckpointMetadata = storedMetadata(entry).metadata

    /** [metadata], with the size of `checkpoint.json` itself. */
    @Throws(IOException::class)
    fun storedMetadata(entry: ManifestEntry): StoredMetadata {
        val where = store.describe(entry.path + "/" + METADATA_FILE)
        val bytes = store.readMetadata(entry.path, entry.checkpointSha256)
            ?: throw CorruptRunException(where, "is missing: checkpoint \"${entry.path}\" is incomplete")
        val actual = Durable.sha256(bytes)
        if (actual != entry.checkpointSha256) {
            throw CorruptRunException(where, "has SHA-256 $actual but manifest.json recorded ${entry.checkpointSha256}: it changed after the commit")
        }
        return StoredMetadata(Codecs.decodeMetadata(where, bytes), bytes.size.toLong())
    }

    /**
     * The run's `history.jsonl`, one line per epoch end in the order written; empty when the run has none. Read
     * when called, so it may hold epochs newer than this view's manifest.
     *
     * @throws CorruptRunException when a line other than a torn last one is not a history record
     */
    @Throws(IOException::class)
    fun history(): List<HistoryLine> = store.readHistory()?.let { HistoryCodec.decode(store.describe(HISTORY_FILE), it) } ?: emptyList()

    /** Re-hashes every file the checkpoint's `checkpoint.json` lists and reports the first problem, or [CheckpointStatus.Ok]. */
    @Throws(IOException::class)
    fun verify(entry: ManifestEntry): CheckpointStatus {
        if (!store.exists(entry.path, entry.checkpointSha256)) return CheckpointStatus.Missing
        val bytes = store.readMetadata(entry.path, entry.checkpointSha256) ?: return CheckpointStatus.Incomplete(METADATA_FILE)
        val actual = Durable.sha256(bytes)
        if (actual != entry.checkpointSha256) return CheckpointStatus.Corrupt(METADATA_FILE, entry.checkpointSha256, actual)
        val metadata = try {
            Codecs.decodeMetadata(store.describe(entry.path + "/" + METADATA_FILE), bytes)
        } catch (e: CorruptRunException) {
            return CheckpointStatus.Corrupt(METADATA_FILE, "valid checkpoint metadata", e.problem)
        }
        for (file in metadata.files) {
            val hashed = try {
                store.hashFile(entry.path, entry.checkpointSha256, file.path)
            } catch (e: CorruptRunException) {
                return CheckpointStatus.Corrupt(file.path, "a regular file inside the checkpoint", e.problem)
            } ?: return CheckpointStatus.Incomplete(file.path)
            if (hashed.first != file.size || hashed.second != file.sha256) return CheckpointStatus.Corrupt(file.path, file.sha256, hashed.second)
        }
        return CheckpointStatus.Ok
    }

    /** Re-hashes every file of every listed checkpoint and of the resume point, calling [checked] after each. */
    @Throws(IOException::class)
    fun verify(checked: (Int, CheckpointVerification) -> Unit = { _, _ -> }): VerifyReport =
        VerifyReport(manifest.owned.mapIndexed { i, entry -> CheckpointVerification(entry.path, verify(entry)).also { checked(i + 1, it) } })

    companion object {
        /**
         * Opens the run in [store] read-only.
         *
         * @throws NoSuchFileException when there is no run there (no directory, or no `manifest.json` in it)
         * @throws CorruptRunException when the manifest is malformed, unsupported or hostile, or a listed checkpoint
         *   path runs through a symbolic link
         */
        @Throws(IOException::class)
        fun open(store: RunStore): RunReader {
            if (!store.hasAnything()) {
                throw NoSuchFileException(store.location, null, "no run here (nothing was ever saved to it?)")
            }
            val bytes = store.readManifest() ?: throw NoSuchFileException(
                store.describe(MANIFEST_FILE), null, "not a ckpt run: it has no manifest.json",
            )
            val manifest = Codecs.decodeManifest(store.describe(MANIFEST_FILE), bytes)
            manifest.owned.forEach { store.exists(it.path, null) } // refuses a path through a symbolic link now
            return RunReader(store, manifest)
        }

        /** A view of [manifest] as a writer of [store] holds it. */
        fun of(store: RunStore, manifest: Manifest): RunReader = RunReader(store, manifest)
    }
}

/** A checkpoint's `checkpoint.json`, decoded and checked against the manifest, and its size in bytes. */
internal class StoredMetadata(val metadata: CheckpointMetadata, val size: Long)

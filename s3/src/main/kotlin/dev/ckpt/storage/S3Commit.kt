package dev.ckpt.storage

import dev.ckpt.CorruptRunException
import java.io.IOException

/**
 * One checkpoint commit by the marker protocol, on an [S3RunStore]:
 * 1. choose where its objects go: the checkpoint's own prefix when nothing is there, or a fresh version prefix
 *    `.<name>.ckpt-ver-<hex>` beside it when it holds the listed version (which must stay readable) or another
 *    writer's write in progress; refuse when it holds objects ckpt did not write;
 * 2. PUT the pending marker `.<name>.ckpt-tmp-<hex>` listing every key the commit will create and the versions it
 *    replaces;
 * 3. PUT the model files, then `checkpoint.json` (sizes and SHA-256 of the files): the commit marker;
 * 4. (the caller writes `manifest.json`) then [finish] deletes the replaced versions and the pending marker, or
 *    [abandon] deletes what this commit created.
 *
 * With conditional writes every PUT is `If-None-Match: *`: an object that appears meanwhile belongs to another
 * writer and fails the commit rather than being overwritten. It never copies an object to move it.
 */
internal class S3Commit(private val store: S3RunStore, private val path: String, private val hook: (StorageStep) -> Unit) : PendingCommit {
    private val objects = store.objects
    private val run = store.run
    private val created = ArrayList<Pair<String, ByteArray>>()
    private var markerKey: String? = null
    private var replaces: List<String> = emptyList()

    /** Where this commit's objects are, run-relative. */
    lateinit var storedAt: String
        private set

    override lateinit var metadata: ByteArray
        private set

    /** Runs steps 1 to 3; on failure, undoes them and throws. */
    fun run(files: List<CheckpointFile>, metadata: (List<FileEntry>) -> ByteArray) {
        try {
            choosePlace()
            hook(StorageStep.WRITE_MARKER)
            val name = path.substringAfterLast('/')
            val marker = run.key(PendingWrite.parentOf(path) + Leftovers.temp(name))
            val pending = PendingWrite(
                runId = store.runId, path = path, storedAt = storedAt, files = files.map { it.path } + METADATA_FILE,
                replaces = replaces, writer = store.owner,
            )
            create(marker, S3Formats.encode(pending), remember = false)
            markerKey = marker

            hook(StorageStep.WRITE_FILES)
            val entries = files.map { file ->
                val bytes = file.bytes()
                create(run.key("$storedAt/${file.path}"), bytes)
                FileEntry(file.path, bytes.size.toLong(), Durable.sha256(bytes))
            }.sortedBy { it.path }

            hook(StorageStep.WRITE_METADATA)
            val bytes = metadata(entries)
            create(run.key("$storedAt/$METADATA_FILE"), bytes)
            this.metadata = bytes
        } catch (e: Exception) {
            abandon(e)
            throw e
        }
    }

    private fun choosePlace() {
        val prefix = run.key(path) + "/"
        val inPlace = objects.list(prefix).map { it.removePrefix(prefix) }
        val versions = store.versionsOf(path)
        if (inPlace.isEmpty()) {
            storedAt = path
            replaces = versions
            return
        }
        val metadataBytes = if (METADATA_FILE in inPlace) objects.get(run.key("$path/$METADATA_FILE"), Durable.METADATA_LIMIT)?.bytes else null
        if (metadataBytes == null) {
            if (!writeInProgress(path)) {
                throw IOException(
                    "${store.describe(path)} exists but is not a checkpoint ckpt wrote (it has no $METADATA_FILE; it holds " +
                        "${inPlace.take(5).joinToString(", ")}); ckpt does not replace it: move it away or choose another path",
                )
            }
            // Another writer is writing there (the run was taken over): leave it, write beside it.
            storedAt = PendingWrite.parentOf(path) + Leftovers.version(path.substringAfterLast('/'))
            replaces = versions
            return
        }
        val metadata = try {
            Codecs.decodeMetadata(store.describe("$path/$METADATA_FILE"), metadataBytes)
        } catch (e: CorruptRunException) {
            throw IOException("${store.describe(path)} exists but is not a checkpoint ckpt wrote (${e.problem}); ckpt does not replace it: " +
                "move it away or choose another path", e)
        }
        val own = metadata.files.mapTo(HashSet()) { it.path }.apply { add(METADATA_FILE) }
        val foreign = inPlace.filter { it !in own }
        if (foreign.isNotEmpty()) {
            throw IOException(
                "${store.describe(path)} holds files ckpt did not write (${foreign.take(5).joinToString(", ")}); ckpt does not replace " +
                    "a checkpoint holding them: move them away or choose another path",
            )
        }
        storedAt = PendingWrite.parentOf(path) + Leftovers.version(path.substringAfterLast('/'))
        replaces = listOf(path) + versions
    }

    /** Whether a pending marker beside [path] names it as the place it writes to. */
    private fun writeInProgress(path: String): Boolean {
        val stem = run.key(PendingWrite.parentOf(path) + "." + path.substringAfterLast('/') + ".ckpt-tmp-")
        return objects.list(stem).any { key ->
            val bytes = objects.get(key, Durable.METADATA_LIMIT)?.bytes ?: return@any false
            try {
                S3Formats.decodePending(objects.describe(key), bytes).storedAt == path
            } catch (e: CorruptRunException) {
                false
            }
        }
    }

    /** Creates [key]; an object already there is this commit's own retried PUT, or another writer's: a failure. */
    private fun create(key: String, bytes: ByteArray, remember: Boolean = true) {
        val conditional = store.mode == S3WriteMode.CONDITIONAL
        try {
            objects.put(key, bytes, if (conditional) S3Objects.Condition.Absent else S3Objects.Condition.None)
        } catch (e: S3Objects.PreconditionFailed) {
            if (!S3Objects.etagOf(bytes, objects.etag(key))) throw appeared(key, e)
        } catch (e: S3Objects.OutcomeUnknown) {
            val etag = objects.etag(key)
            if (!S3Objects.etagOf(bytes, etag)) throw if (etag != null) appeared(key, e) else IOException(e.message, e.cause)
        }
        if (remember) created += key to bytes
    }

    private fun appeared(key: String, cause: Exception) = IOException(
        "${objects.describe(key)} appeared while ckpt was about to write it: another writer is writing this run, and " +
            "ckpt never overwrites an object",
        cause,
    )

    /** The manifest recorded the commit: the replaced versions and the marker go (the next open finishes if this fails). */
    override fun finish() {
        store.recorded(path, storedAt, metadata)
        try {
            for (version in replaces) {
                hook(StorageStep.DELETE_BACKUP)
                store.deleteStored(version)
            }
            hook(StorageStep.DELETE_MARKER)
            markerKey?.let { objects.delete(it) }
        } catch (e: Exception) {
            store.warnings(
                "checkpoint ${store.describe(path)} is committed, but removing its previous version or the marker of the write " +
                    "failed (the next writer finishes it): $e",
            )
        }
    }

    /**
     * Deletes what this commit created, newest first, then its marker: each object only while its ETag shows it
     * still holds this commit's bytes (a writer that lost the run must not delete what the one that took over
     * wrote). When that cannot be shown, or a deletion fails, the marker stays for the next writer to finish.
     */
    override fun abandon(failure: Exception) {
        var complete = true
        for ((key, bytes) in created.asReversed()) {
            try {
                val etag = objects.etag(key)
                if (S3Objects.etagOf(bytes, etag)) objects.delete(key) else if (etag != null) complete = false
            } catch (e: Exception) {
                failure.addSuppressed(e)
                complete = false
            }
        }
        created.clear()
        val marker = markerKey
        if (marker != null && complete) {
            try {
                objects.delete(marker)
            } catch (e: Exception) {
                failure.addSuppressed(e)
            }
        }
        markerKey = null
    }
}

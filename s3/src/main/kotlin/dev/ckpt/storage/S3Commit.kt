package dev.ckpt.storage

import dev.ckpt.CorruptRunException
import java.io.IOException
import java.security.MessageDigest
import java.util.HexFormat

/**
 * One checkpoint commit by the marker protocol, on an [S3RunStore]:
 * 1. choose where its objects go: the checkpoint's own prefix when nothing is there, or a fresh version prefix
 *    `.<name>.ckpt-ver-<hex>` beside it when it holds the listed version (which must stay readable) or another
 *    writer's write in progress; refuse when it holds objects ckpt did not write;
 * 2. PUT the pending marker `.<name>.ckpt-tmp-<hex>` listing every key the commit will create and the versions it
 *    replaces;
 * 3. PUT the model files, then `checkpoint.json` (sizes and SHA-256 of the files): the commit marker; a file the
 *    previous checkpoint holds unchanged ([CheckpointFile.reuse]) is instead copied server-side from that
 *    checkpoint's object (CopyObject), and written after all when that object is gone or no longer its size, or
 *    the server refuses the copy (with a warning);
 * 4. (the caller writes `manifest.json`) then [finish] deletes the replaced versions and the pending marker, or
 *    [abandon] deletes what this commit created.
 *
 * With conditional writes every PUT is `If-None-Match: *`: an object that appears meanwhile belongs to another
 * writer and fails the commit rather than being overwritten (a copy sends `If-None-Match: *` too, which S3 honours
 * and S3Proxy 2.9.0 ignores). It never copies an object to move it: a copy leaves the source where it is, so the
 * new checkpoint stays self-contained when retention deletes the old one.
 */
internal class S3Commit(private val store: S3RunStore, private val path: String, private val hook: (StorageStep) -> Unit) : PendingCommit {
    private val objects = store.objects
    private val run = store.run
    /** Each object this commit created, with the ETag (unquoted) that shows it still holds what was put or copied. */
    private val created = ArrayList<Pair<String, String?>>()
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
                file.reuse?.let { copy(file.path, it) } ?: write(file)
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
        if (remember) created += key to md5Hex(bytes)
    }

    private fun write(file: CheckpointFile): FileEntry {
        val bytes = file.bytes()
        create(run.key("$storedAt/${file.path}"), bytes)
        return FileEntry(file.path, bytes.size.toLong(), Durable.sha256(bytes))
    }

    /**
     * Places the file [file] of the checkpoint [source] names at this commit's key by a server-side copy: returns the
     * entry [source] recorded (not recomputed), or null when that checkpoint, or its object, is gone or no longer
     * the recorded size, so the caller writes the bytes. The copy is conditional on the source's ETag as a HEAD
     * just saw it, so what is copied is what was checked.
     */
    private fun copy(file: String, source: ReusedFile): FileEntry? {
        val located = store.locate(source.checkpoint, source.checkpointSha256) ?: return null
        val from = run.key("${located.storedAt}/$file")
        val to = run.key("$storedAt/$file")
        if (from == to) return null
        val seen = objects.stat(from)
        if (seen == null || seen.size != source.entry.size) return null
        val etag = try {
            objects.copy(from, to, seen.etag, store.mode == S3WriteMode.CONDITIONAL)
        } catch (e: S3Objects.SourceGone) {
            return null
        } catch (e: S3Objects.PreconditionFailed) {
            // Either the target appeared (another writer, or this copy retried by the SDK) or the source changed.
            val there = objects.etag(to) ?: return null
            if (!sameEtag(seen.etag, there)) throw appeared(to, e)
            there
        } catch (e: S3Objects.OutcomeUnknown) {
            val there = objects.etag(to)
            if (there == null || !sameEtag(seen.etag, there)) throw if (there != null) appeared(to, e) else IOException(e.message, e.cause)
            there
        } catch (e: IOException) {
            // A server that refuses this copy (one without CopyObject, or without If-None-Match on it) can still take
            // the PUT; were the copy made after all, the create-only PUT of the same bytes recognises it by its ETag.
            store.warnings("the server-side copy of ${objects.describe(from)} to ${objects.describe(to)} failed (${e.message}); ckpt writes the file instead")
            return null
        }
        created += to to etag?.trim('"')
        return source.entry
    }

    private fun md5Hex(bytes: ByteArray): String = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes))

    /** Whether two ETags are the same; an unknown one matches nothing. */
    private fun sameEtag(expected: String?, etag: String?): Boolean =
        expected != null && etag != null && expected.trim('"').equals(etag.trim('"'), ignoreCase = true)

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
        for ((key, expected) in created.asReversed()) {
            try {
                val etag = objects.etag(key)
                if (sameEtag(expected, etag)) objects.delete(key) else if (etag != null) complete = false
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

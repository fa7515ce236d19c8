package dev.ckpt.storage

import dev.ckpt.InternalCkptApi

/**
 * A file of a committed checkpoint that a new checkpoint takes as it is: the checkpoint at [checkpoint] (the version
 * whose `checkpoint.json` has [checkpointSha256]) holds it, and [entry] is what that `checkpoint.json` records for it
 * (the new checkpoint records the same size and SHA-256, not recomputed).
 */
@InternalCkptApi
public class ReusedFile(public val checkpoint: String, public val checkpointSha256: String, public val entry: FileEntry) {
    override fun toString(): String = "ReusedFile($checkpoint/${entry.path})"
}

/**
 * Which files of a commit can be taken from the previous one: remembers, for the last checkpoint this writer committed
 * in this process, each file's raw digest ([CheckpointFile.rawDigest]) and entry, and marks the files of the next
 * commit whose digest is the same ([CheckpointFile.reusing]). Transfer learning is the case it is for: a frozen
 * backbone's variables are the same bits at every save, and formatting, hashing and flushing them again is most of
 * the cost of each save.
 *
 * ```kotlin
 * val planned = reuse.prepare(files, writer.manifest)   // digests on the writer thread
 * val pending = store.commit(path, planned.files, metadata, hook)
 * reuse.committed(path, checkpointSha256, entries, planned)
 * ```
 *
 * It offers a source only while that checkpoint is still listed (or is the resume point) with the same
 * `checkpoint.json`, and not in `releasing`: a commit's files are placed before its manifest write releases anything,
 * and a checkpoint overwritten at the same path is read before it is moved aside. It deliberately remembers nothing
 * across processes (a resumed run writes its first checkpoint in full) and forgets after a failed commit. Not
 * thread-safe: it belongs to the [RunWriter]'s owner.
 */
internal class FileReuse {
    private class Remembered(val path: String, val checkpointSha256: String, val files: Map<String, Pair<String, FileEntry>>)

    /** A commit's files, with [CheckpointFile.reuse] set where the previous checkpoint holds the same bytes. */
    class Prepared(val files: List<CheckpointFile>, val digests: Map<String, String>)

    private var last: Remembered? = null

    /** Digests [files] that have a raw digest and marks those equal to the previous commit's as reused. */
    fun prepare(files: List<CheckpointFile>, manifest: Manifest): Prepared {
        val source = last?.takeIf { usable(it, manifest) }
        val digests = HashMap<String, String>()
        val planned = files.map { file ->
            val digest = file.rawDigest?.invoke() ?: return@map file
            digests[file.path] = digest
            val previous = source?.files?.get(file.path)
            if (previous != null && previous.first == digest) {
                file.reusing(ReusedFile(source.path, source.checkpointSha256, previous.second))
            } else {
                file
            }
        }
        return Prepared(planned, digests)
    }

    /** The commit of [prepared] at [path] is recorded, with `checkpoint.json` hashing to [checkpointSha256]. */
    fun committed(path: String, checkpointSha256: String, entries: List<FileEntry>, prepared: Prepared) {
        val byPath = entries.associateBy { it.path }
        val files = prepared.digests.mapNotNull { (file, digest) -> byPath[file]?.let { file to (digest to it) } }.toMap()
        last = Remembered(path, checkpointSha256, files)
    }

    /** A commit failed: what it left is unknown, so nothing is offered until the next commit succeeds. */
    fun forget() {
        last = null
    }

    private fun usable(remembered: Remembered, manifest: Manifest): Boolean {
        val listed = manifest.owned.firstOrNull { it.path == remembered.path } ?: return false
        return listed.checkpointSha256 == remembered.checkpointSha256 && manifest.releasing.none { it.path == remembered.path }
    }
}

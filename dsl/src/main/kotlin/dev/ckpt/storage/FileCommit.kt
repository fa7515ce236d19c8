package dev.ckpt.storage

import java.io.IOException
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.Path

/**
 * One checkpoint commit by the rename protocol: model files into a temporary sibling `.<name>.ckpt-tmp-<hex>`
 * (each hashed from the bytes in hand, or, when unchanged since the previous checkpoint, placed from it by [reuse]),
 * `checkpoint.json` last, then every written file flushed once, all together through [flush] (so that the file
 * system can group their journal commits), then every directory flushed once, then one atomic rename into place,
 * which waits for every flush to have returned. Overwriting a committed checkpoint first moves it aside to
 * `.<name>.ckpt-bak-<hex>`; it is deleted only after the manifest records the new one, so every crash point
 * leaves the old or the new checkpoint recoverable.
 *
 * A failure before the rename removes the temporary directory and puts the old checkpoint back: nothing
 * changed. It never copies instead of renaming.
 */
internal class FileCommit(
    private val target: Path,
    private val hook: (StorageStep) -> Unit,
    private val warn: (String) -> Unit,
    private val flush: CommitFlush = CommitFlush.GROUPED,
    /** Places a file the previous checkpoint holds ([CheckpointFile.reuse]) at a path; null: write it instead. */
    private val reuse: (ReusedFile, Path) -> FileEntry? = { _, _ -> null },
) : PendingCommit {
    private val parent: Path = target.parent
    private val name: String = target.fileName.toString()
    private var temp: Path? = null

    /** Where the replaced checkpoint waits until the manifest records the new one, or null. */
    var backup: Path? = null
        private set
    private var placed = false

    override lateinit var metadata: ByteArray
        private set

    /** Runs the commit; on failure, undoes it and throws. */
    fun run(files: List<CheckpointFile>, metadata: (List<FileEntry>) -> ByteArray) {
        try {
            val overwrite = Files.exists(target, LinkOption.NOFOLLOW_LINKS)
            if (overwrite) TargetChecks.requireReplaceable(target)

            hook(StorageStep.CREATE_TEMP)
            val dir = parent.resolve(Leftovers.temp(name)).also { temp = it }
            Files.createDirectory(dir)

            hook(StorageStep.WRITE_FILES)
            val directories = linkedSetOf(dir)
            val written = ArrayList<Path>(files.size + 1)
            val entries = files.map { file ->
                val path = dir.resolve(file.path)
                var p = path.parent
                val created = ArrayList<Path>()
                while (p != dir && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    created.add(p)
                    p = p.parent
                }
                created.asReversed().forEach { Files.createDirectory(it); directories.add(it) }
                file.reuse?.let { reuse(it, path) } ?: run {
                    val bytes = file.bytes()
                    writeUnflushed(path, bytes)
                    written.add(path)
                    FileEntry(file.path, bytes.size.toLong(), Durable.sha256(bytes))
                }
            }.sortedBy { it.path }

            hook(StorageStep.WRITE_METADATA)
            val metadataBytes = metadata(entries)
            val metadataFile = dir.resolve(METADATA_FILE)
            writeUnflushed(metadataFile, metadataBytes)
            written.add(metadataFile)

            hook(StorageStep.SYNC_TEMP)
            flush.files(written)
            for (d in directories.reversed()) flush.directory(d)

            if (overwrite) {
                hook(StorageStep.MOVE_OLD_ASIDE)
                val aside = parent.resolve(Leftovers.backup(name))
                Durable.atomicMove(target, aside)
                backup = aside
            }
            hook(StorageStep.MOVE_INTO_PLACE)
            Durable.atomicMove(dir, target)
            temp = null
            placed = true

            hook(StorageStep.SYNC_PARENT)
            flush.directory(parent)
            this.metadata = metadataBytes
        } catch (e: Exception) {
            abandon(e)
            throw e
        }
    }

    /** Undoes the commit after [failure] (also after it completed, when the manifest could not record it). */
    override fun abandon(failure: Exception) {
        fun attempt(action: () -> Unit) {
            try {
                action()
            } catch (e: Exception) {
                failure.addSuppressed(e)
            }
        }
        temp?.let { attempt { SafeFiles.deleteOwnTree(it) } }
        if (placed) attempt { if (!SafeFiles.deleteCheckpoint(target, warn)) throw IOException("could not remove $target") }
        val aside = backup
        if (aside != null && Files.exists(aside, LinkOption.NOFOLLOW_LINKS)) {
            attempt {
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) throw IOException("cannot restore $aside: $target exists")
                Durable.atomicMove(aside, target)
                Durable.syncDirectory(parent)
            }
        }
        temp = null
        placed = false
        backup = null
    }

    /** The manifest recorded the commit: the replaced version goes (the next open removes it if this fails). */
    override fun finish() {
        val aside = backup ?: return
        backup = null
        try {
            hook(StorageStep.DELETE_BACKUP)
            SafeFiles.deleteCheckpoint(aside, warn)
        } catch (e: Exception) {
            warn("checkpoint $target is committed, but its previous version could not be removed from $aside: $e")
        }
    }
}

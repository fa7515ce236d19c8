package dev.ckpt.storage

import dev.ckpt.CorruptRunException
import java.io.IOException
import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import java.nio.file.FileAlreadyExistsException
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.NoSuchFileException
import java.nio.file.Path
import java.nio.file.StandardOpenOption

/**
 * A run in a directory of any `java.nio.file` file system whose provider renames atomically (the default one,
 * Jimfs, ...): the rename protocol ([FileCommit]), `manifest.json` replaced by an atomic rename, `run.lock` held
 * with an OS file lock, crash leftovers cleaned by [FileRecovery]. Nothing outside [root] is read, written or
 * deleted, and no symbolic link inside it is followed. [flush] is how commits flush their files (all together on
 * the shared flush threads unless a test or benchmark passes another).
 */
internal class FileRunStore(
    root: Path,
    private val flush: CommitFlush = CommitFlush.GROUPED,
    val reuse: LocalReuse = LocalReuse(),
) : RunStore {
    val root: Path = root.toAbsolutePath().normalize()

    override val location: String get() = root.toString()

    override var warnings: (String) -> Unit = SafeFiles::warn

    override fun describe(relative: String): String = root.resolve(relative).toString()

    override fun readManifest(): ByteArray? {
        val file = root.resolve(MANIFEST_FILE)
        if (Files.isSymbolicLink(file)) {
            throw CorruptRunException(file.toString(), "is a symbolic link; ckpt never follows links inside a run")
        }
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) return null
        return missingIfGone { Durable.readBounded(file, Durable.METADATA_LIMIT) }
    }

    override fun replaceManifest(bytes: ByteArray, hook: (StorageStep) -> Unit) {
        hook(StorageStep.WRITE_MANIFEST_TEMP)
        val temp = root.resolve(Leftovers.temp(MANIFEST_FILE))
        try {
            Durable.writeNewFile(temp, bytes)
            hook(StorageStep.MOVE_MANIFEST)
            Durable.atomicMove(temp, root.resolve(MANIFEST_FILE), replaceExisting = true)
        } catch (e: Exception) {
            try {
                Files.deleteIfExists(temp)
            } catch (suppressed: IOException) {
                e.addSuppressed(suppressed)
            }
            throw e
        }
        try {
            Durable.syncDirectory(root)
        } catch (e: IOException) {
            throw ManifestRecordedException(e)
        }
    }

    override fun appendHistory(line: ByteArray) {
        require(line.isNotEmpty() && line.last() == '\n'.code.toByte()) { "a history line must end with a newline" }
        val file = root.resolve(HISTORY_FILE)
        if (Files.isSymbolicLink(file)) {
            throw CorruptRunException(file.toString(), "is a symbolic link; ckpt never follows links inside a run")
        }
        val created = !Files.exists(file, LinkOption.NOFOLLOW_LINKS)
        FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS).use { ch ->
            val end = Durable.endOfLastLine(ch)
            if (end < ch.size()) ch.truncate(end)
            val buffer = ByteBuffer.wrap(line)
            var position = end
            while (buffer.hasRemaining()) position += ch.write(buffer, position)
            ch.force(true)
        }
        if (created) Durable.syncDirectory(root)
    }

    override fun readHistory(): ByteArray? {
        val file = root.resolve(HISTORY_FILE)
        if (Files.isSymbolicLink(file)) {
            throw CorruptRunException(file.toString(), "is a symbolic link; ckpt never follows links inside a run")
        }
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) return null
        return Durable.readBounded(file, Durable.METADATA_LIMIT)
    }

    override fun lock(owner: String): AutoCloseable {
        try {
            Files.createDirectories(root)
        } catch (e: FileAlreadyExistsException) {
            throw IOException(
                "run directory $root cannot be used: ${e.file} is a file, not a directory, and ckpt keeps a run's " +
                    "manifest and checkpoints in a directory; move that file away, or choose another filepath or directory",
                e,
            )
        }
        return RunLock.acquire(root, owner)
    }

    override fun hasAnything(): Boolean = Files.isDirectory(root)

    override fun commit(path: String, files: List<CheckpointFile>, metadata: (List<FileEntry>) -> ByteArray, hook: (StorageStep) -> Unit): PendingCommit =
        FileCommit(TargetChecks.ensureParents(root, path), hook, warnings, flush, ::placeReused).apply { run(files, metadata) }

    /**
     * A hard link to (or a copy of) the file of the previous checkpoint, before anything moves it aside; null (write
     * it anew) when that checkpoint's directory no longer resolves safely, e.g. a symbolic link was planted in it.
     */
    private fun placeReused(source: ReusedFile, target: Path): FileEntry? {
        val file = try {
            SafeFiles.resolveInside(locate(source.checkpoint, source.checkpointSha256), source.entry.path)
        } catch (e: CorruptRunException) {
            warnings("${describe(source.checkpoint)} cannot be reused for ${source.entry.path} (${e.message}); ckpt writes the file anew")
            return null
        }
        return reuse.place(file, target, source.entry)
    }

    override fun readMetadata(path: String, sha256: String?): ByteArray? {
        val dir = locate(path, sha256)
        val file = SafeFiles.resolveInside(dir, METADATA_FILE)
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) return null
        return missingIfGone { Durable.readBounded(file, Durable.METADATA_LIMIT) }
    }

    override fun readFile(path: String, sha256: String, file: String): ByteArray =
        Files.readAllBytes(SafeFiles.resolveInside(locate(path, sha256), file))

    override fun hashFile(path: String, sha256: String, file: String): Pair<Long, String>? {
        val resolved = SafeFiles.resolveInside(locate(path, sha256), file)
        if (!Files.exists(resolved, LinkOption.NOFOLLOW_LINKS)) return null
        return missingIfGone { Durable.hash(resolved) }
    }

    /**
     * A file that existed a moment ago may be gone when opened: retention released its checkpoint while a reader
     * (which takes no lock) was verifying it. That reads as missing, as it would have a moment later.
     */
    private inline fun <T> missingIfGone(read: () -> T): T? = try {
        read()
    } catch (e: NoSuchFileException) {
        null
    }

    override fun exists(path: String, sha256: String?): Boolean = Files.exists(locate(path, sha256), LinkOption.NOFOLLOW_LINKS)

    /** The directory of the checkpoint at [path] (a checkpoint directory; read-only callers may use it with KotlinDL). */
    fun directory(path: String, sha256: String?): Path = locate(path, sha256)

    override fun delete(path: String, sha256: String?, hook: (StorageStep) -> Unit): Boolean {
        val dir = SafeFiles.resolveInside(root, path)
        hook(StorageStep.DELETE_FILES)
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return true
        if (!Files.exists(dir.resolve(METADATA_FILE), LinkOption.NOFOLLOW_LINKS)) {
            // checkpoint.json goes after the files it lists: without it, a deletion already removed them; only
            // directories may be left, and those only when nothing foreign is in them.
            return SafeFiles.deleteEmptyTree(dir, warnings)
        }
        return SafeFiles.deleteCheckpoint(dir, warnings)
    }

    override fun recover(manifest: Manifest, hook: (StorageStep) -> Unit): List<String> = FileRecovery(root, manifest, hook, warnings).run()

    /**
     * Where the files of the checkpoint at [path] are: normally `root/path`; while a crashed overwrite awaits
     * recovery, the recorded version (whose `checkpoint.json` has [sha256]) may sit in a backup sibling.
     */
    private fun locate(path: String, sha256: String?): Path {
        val target = SafeFiles.resolveInside(root, path)
        if (sha256 == null || digestOrNull(target) == sha256) return target
        val parent = target.parent
        if (!Files.isDirectory(parent, LinkOption.NOFOLLOW_LINKS)) return target
        val name = target.fileName.toString()
        Files.newDirectoryStream(parent).use { siblings ->
            for (sibling in siblings) {
                val leftover = Leftovers.parse(sibling.fileName.toString()) ?: continue
                // A version (an object-store run copied to disk) holds a recorded checkpoint just like a backup.
                if (leftover.kind == Leftovers.Kind.TEMP || leftover.target != name) continue
                if (Files.isDirectory(sibling, LinkOption.NOFOLLOW_LINKS) && digestOrNull(sibling) == sha256) return sibling
            }
        }
        return target
    }

    private fun digestOrNull(dir: Path): String? = try {
        SafeFiles.metadataDigest(dir)
    } catch (e: IOException) {
        null
    }
}

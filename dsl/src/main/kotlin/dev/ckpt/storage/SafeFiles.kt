package dev.ckpt.storage

import dev.ckpt.InternalCkptApi
import java.io.IOException
import java.nio.file.DirectoryNotEmptyException
import java.nio.file.FileVisitResult
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.NoSuchFileException
import java.nio.file.Path
import java.nio.file.SimpleFileVisitor
import java.nio.file.attribute.BasicFileAttributes
import dev.ckpt.CorruptRunException
import org.slf4j.LoggerFactory

/** File operations fenced to a directory: nothing outside it is read, written or deleted. */
@InternalCkptApi
public object SafeFiles {
    private val logger = LoggerFactory.getLogger("dev.ckpt")

    /** Logs a storage warning; the default of [RunStore.warnings] until a writer routes them to the run's listener. */
    public fun warn(message: String): Unit = logger.warn(message)

    /**
     * Resolves a validated relative path under [base] one segment at a time, refusing any existing
     * component that is a symbolic link (a link could lead out of the run directory). The check and the
     * later use are not one atomic step; a concurrent attacker with write access to the run is out of scope.
     */
    public fun resolveInside(base: Path, relative: String): Path {
        RelativePaths.problem(relative)?.let { throw CorruptRunException(base.resolve(relative).toString(), "path \"$relative\" $it") }
        var current = base
        for (segment in RelativePaths.segments(relative)) {
            val next = current.resolve(segment)
            if (next.parent != current || next.fileName?.toString() != segment) {
                throw CorruptRunException(base.toString(), "path \"$relative\" has a segment \"$segment\" this file system does not treat as one name")
            }
            if (Files.isSymbolicLink(next)) {
                throw CorruptRunException(next.toString(), "is a symbolic link; ckpt never follows links inside a run, so nothing outside the run directory is touched")
            }
            current = next
        }
        return current
    }

    /** '/'-joined names of [child] relative to [base]. */
    public fun relative(base: Path, child: Path): String = base.relativize(child).joinToString("/") { it.toString() }

    /** Deletes a tree ckpt created itself (a temp directory), never following links. */
    public fun deleteOwnTree(root: Path) {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) return
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(root)
            return
        }
        Files.walkFileTree(root, object : SimpleFileVisitor<Path>() {
            override fun visitFile(file: Path, attrs: BasicFileAttributes): FileVisitResult {
                Files.deleteIfExists(file)
                return FileVisitResult.CONTINUE
            }

            override fun postVisitDirectory(dir: Path, exc: IOException?): FileVisitResult {
                if (exc != null) throw exc
                Files.deleteIfExists(dir)
                return FileVisitResult.CONTINUE
            }
        })
    }

    /**
     * Deletes a committed checkpoint the fenced way: exactly the files its own `checkpoint.json` lists,
     * then `checkpoint.json`, then the directories that become empty. Anything else in it (files ckpt did
     * not write) stays, and so does the directory holding them. Returns true when the directory is gone.
     *
     * Content is not re-hashed first: a file at a path ckpt recorded is ckpt's to delete.
     */
    public fun deleteCheckpoint(dir: Path, warn: (String) -> Unit): Boolean {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return true
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            throw IOException("$dir is not a checkpoint directory; ckpt deletes only checkpoint directories it wrote")
        }
        val metadata = readMetadata(dir)
        val subdirectories = sortedSetOf<String>(compareByDescending<String> { it.count { c -> c == '/' } }.thenBy { it })
        for (file in metadata.files) {
            val segments = RelativePaths.segments(file.path)
            for (i in 1 until segments.size) subdirectories.add(segments.subList(0, i).joinToString("/"))
            try {
                Files.deleteIfExists(resolveInside(dir, file.path))
            } catch (e: CorruptRunException) {
                warn("left ${dir.resolve(file.path)} in place: ${e.problem}")
            }
        }
        Files.deleteIfExists(dir.resolve(METADATA_FILE))
        for (sub in subdirectories) {
            val path = try {
                resolveInside(dir, sub)
            } catch (e: CorruptRunException) {
                continue
            }
            deleteIfEmpty(path)
        }
        val gone = deleteIfEmpty(dir)
        if (!gone) warn("kept $dir: it holds files ckpt did not write (${describeContents(dir)})")
        return gone
    }

    /** Deletes the empty directories of the tree at [root], deepest first; returns true when [root] is gone. */
    public fun deleteEmptyTree(root: Path, warn: (String) -> Unit): Boolean {
        val directories = ArrayList<Path>()
        Files.walkFileTree(root, object : SimpleFileVisitor<Path>() {
            override fun postVisitDirectory(dir: Path, exc: IOException?): FileVisitResult {
                directories.add(dir)
                return FileVisitResult.CONTINUE
            }
        })
        directories.forEach { deleteIfEmpty(it) }
        val gone = !Files.exists(root, LinkOption.NOFOLLOW_LINKS)
        if (!gone) warn("kept $root: it holds files ckpt did not write (${describeContents(root)})")
        return gone
    }

    private fun deleteIfEmpty(dir: Path): Boolean = try {
        Files.deleteIfExists(dir)
        true
    } catch (e: DirectoryNotEmptyException) {
        false
    } catch (e: NoSuchFileException) {
        true
    }

    private fun describeContents(dir: Path): String = try {
        Files.list(dir).use { s -> s.limit(5).map { it.fileName.toString() }.toList().joinToString(", ") }
    } catch (e: IOException) {
        "unreadable"
    }

    /** Reads and validates `dir/checkpoint.json`. */
    public fun readMetadata(dir: Path): CheckpointMetadata {
        val file = resolveInside(dir, METADATA_FILE)
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw CorruptRunException(file.toString(), "is missing: ${dir.fileName} is not a complete ckpt checkpoint")
        }
        return Codecs.decodeMetadata(file.toString(), Durable.readBounded(file, Durable.METADATA_LIMIT))
    }

    /** SHA-256 of `dir/checkpoint.json`, or null when it does not exist. */
    public fun metadataDigest(dir: Path): String? {
        val file = dir.resolve(METADATA_FILE)
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) return null
        return Durable.sha256(Durable.readBounded(file, Durable.METADATA_LIMIT))
    }
}

package dev.ckpt.storage

import dev.ckpt.CorruptRunException
import java.io.IOException
import java.nio.file.FileVisitResult
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.Path
import java.nio.file.SimpleFileVisitor
import java.nio.file.attribute.BasicFileAttributes

/** What must hold of a checkpoint's target directory before the rename protocol writes there. */
internal object TargetChecks {
    /** Creates the directories above [relative] inside [root], refusing links and files in the way. */
    fun ensureParents(root: Path, relative: String): Path {
        var current = root
        for (segment in RelativePaths.segments(relative).dropLast(1)) {
            val next = current.resolve(segment)
            if (Files.isSymbolicLink(next)) {
                throw IOException("$next is a symbolic link; ckpt writes checkpoints only through real directories inside the run")
            }
            if (!Files.exists(next, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(next)
                Durable.syncDirectory(current)
            } else if (!Files.isDirectory(next, LinkOption.NOFOLLOW_LINKS)) {
                throw IOException("$next exists and is not a directory, so no checkpoint can be written below it")
            }
            current = next
        }
        return current.resolve(RelativePaths.segments(relative).last())
    }

    /** An existing [target] may be replaced only when it is a checkpoint ckpt wrote, holding nothing else. */
    fun requireReplaceable(target: Path) {
        if (!Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
            throw IOException("$target exists and is not a checkpoint directory; ckpt replaces only checkpoints it wrote")
        }
        val metadata = try {
            SafeFiles.readMetadata(target)
        } catch (e: CorruptRunException) {
            throw IOException(
                "$target exists but is not a checkpoint ckpt wrote (${e.problem}); ckpt does not replace it: " +
                    "move it away or choose another path",
                e,
            )
        }
        val foreign = foreignContents(target, metadata)
        if (foreign.isNotEmpty()) {
            throw IOException(
                "$target holds files ckpt did not write (${foreign.take(5).joinToString(", ")}); ckpt does not replace " +
                    "a checkpoint directory holding them: move them away or choose another path",
            )
        }
    }

    private fun foreignContents(target: Path, metadata: CheckpointMetadata): List<String> {
        val own = metadata.files.mapTo(HashSet()) { it.path }.apply { add(METADATA_FILE) }
        val ownDirectories = own.flatMapTo(HashSet()) { p ->
            val segments = RelativePaths.segments(p)
            (1 until segments.size).map { segments.subList(0, it).joinToString("/") }
        }
        val foreign = ArrayList<String>()
        Files.walkFileTree(target, object : SimpleFileVisitor<Path>() {
            override fun preVisitDirectory(dir: Path, attrs: BasicFileAttributes): FileVisitResult {
                if (dir != target && SafeFiles.relative(target, dir) !in ownDirectories) foreign.add(SafeFiles.relative(target, dir) + "/")
                return FileVisitResult.CONTINUE
            }

            override fun visitFile(file: Path, attrs: BasicFileAttributes): FileVisitResult {
                val rel = SafeFiles.relative(target, file)
                if (rel !in own || !attrs.isRegularFile) foreign.add(rel)
                return FileVisitResult.CONTINUE
            }
        })
        return foreign
    }
}

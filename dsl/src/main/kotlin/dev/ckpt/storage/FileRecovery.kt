package dev.ckpt.storage

import dev.ckpt.CorruptRunException
import java.io.IOException
import java.nio.file.FileVisitOption
import java.nio.file.FileVisitResult
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.Path
import java.nio.file.SimpleFileVisitor
import java.nio.file.attribute.BasicFileAttributes

/**
 * Finishes or rolls back what a crashed writer of the rename protocol left in a run directory:
 * - temporary directories and manifest files (`.<name>.ckpt-tmp-<hex>`) are removed;
 * - a backup (`.<name>.ckpt-bak-<hex>`), or a version an object store wrote beside its checkpoint
 *   (`.<name>.ckpt-ver-<hex>`, in a run copied from one), is moved back when its checkpoint is missing, or when the
 *   checkpoint in place is not the version the manifest records; otherwise it is removed (fenced, like retention);
 * - a complete checkpoint of this run that no manifest entry lists, taken after the latest recorded step (moved
 *   into place, then the writer died before the manifest recorded it), is removed, fenced to the files its own
 *   `checkpoint.json` lists.
 *
 * Only names matching ckpt's patterns, and checkpoints whose `checkpoint.json` carries this run's id, are
 * touched; links are not followed.
 */
internal class FileRecovery(
    private val root: Path,
    private val manifest: Manifest,
    private val hook: (StorageStep) -> Unit,
    private val warn: (String) -> Unit,
) {
    private val done = ArrayList<String>()

    fun run(): List<String> {
        val listed = (manifest.owned + manifest.releasing).mapTo(HashSet()) { root.resolve(it.path).normalize() }
        val leftovers = ArrayList<Path>()
        val candidates = ArrayList<Path>()
        Files.walkFileTree(root, emptySet<FileVisitOption>(), Int.MAX_VALUE, object : SimpleFileVisitor<Path>() {
            override fun preVisitDirectory(dir: Path, attrs: BasicFileAttributes): FileVisitResult {
                if (dir == root) return FileVisitResult.CONTINUE
                if (Leftovers.parse(dir.fileName.toString()) != null) {
                    leftovers.add(dir)
                    return FileVisitResult.SKIP_SUBTREE
                }
                if (dir in listed) return FileVisitResult.SKIP_SUBTREE
                if (Files.exists(dir.resolve(METADATA_FILE), LinkOption.NOFOLLOW_LINKS)) {
                    candidates.add(dir)
                    return FileVisitResult.SKIP_SUBTREE
                }
                return FileVisitResult.CONTINUE
            }

            override fun visitFile(file: Path, attrs: BasicFileAttributes): FileVisitResult {
                if (Leftovers.parse(file.fileName.toString()) != null) leftovers.add(file)
                return FileVisitResult.CONTINUE
            }

            override fun visitFileFailed(file: Path, exc: IOException): FileVisitResult {
                warn("could not look for ckpt leftovers in $file: $exc")
                return FileVisitResult.CONTINUE
            }
        })
        val (temps, backups) = leftovers.partition { Leftovers.parse(it.fileName.toString())!!.kind == Leftovers.Kind.TEMP }
        for (temp in temps) {
            SafeFiles.deleteOwnTree(temp)
            done += "removed ${SafeFiles.relative(root, temp)}, a temporary file of an interrupted write"
        }
        for (backup in backups) recoverBackup(backup)
        for (dir in candidates) removeIfUnrecordedOwn(dir)
        return done
    }

    private fun removeIfUnrecordedOwn(dir: Path) {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) return
        val metadata = try {
            SafeFiles.readMetadata(dir)
        } catch (e: CorruptRunException) {
            return // not ours to judge
        }
        // A copy someone made of a recorded checkpoint carries this run's id too, but not a step past the latest
        // commit: only the commit a crash cut off does.
        if (metadata.runId != manifest.runId || metadata.facts.step <= latestStep()) return
        hook(StorageStep.DELETE_FILES)
        SafeFiles.deleteCheckpoint(dir, warn)
        done += "removed ${SafeFiles.relative(root, dir)}, a checkpoint of this run whose commit the manifest never recorded"
    }

    /** The step of the latest recorded commit: an unrecorded commit of this run always comes after it. */
    private fun latestStep(): Long = manifest.latest?.let { manifest.entry(it)?.facts?.step } ?: -1L

    private fun recoverBackup(backup: Path) {
        if (!Files.isDirectory(backup, LinkOption.NOFOLLOW_LINKS)) {
            warn("left $backup in place: ckpt's backups are directories, this is not one")
            return
        }
        val target = backup.resolveSibling(Leftovers.parse(backup.fileName.toString())!!.target)
        val relative = SafeFiles.relative(root, target)
        try {
            if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                Durable.atomicMove(backup, target)
                Durable.syncDirectory(target.parent)
                done += "restored $relative from the backup an interrupted overwrite left"
                return
            }
            val recorded = manifest.entry(relative)?.checkpointSha256
            val inPlace = SafeFiles.metadataDigest(target)
            if (recorded != null && inPlace != recorded && SafeFiles.metadataDigest(backup) == recorded) {
                // The new checkpoint was moved into place but the manifest never recorded it: go back to the
                // recorded one, so manifest and disk agree.
                if (SafeFiles.deleteCheckpoint(target, warn)) {
                    Durable.atomicMove(backup, target)
                    Durable.syncDirectory(target.parent)
                    done += "restored $relative: the manifest never recorded the version that replaced it"
                }
            } else {
                SafeFiles.deleteCheckpoint(backup, warn)
                done += "removed the previous version of $relative, which an interrupted overwrite left"
            }
        } catch (e: CorruptRunException) {
            warn("left $backup in place: ${e.message}")
        }
    }
}

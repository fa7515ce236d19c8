package dev.ckpt.storage

import java.io.IOException
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.NoSuchFileException
import java.nio.file.Path

/**
 * A read-only view of a run directory for restore and inspection: the manifest's checkpoints, the best,
 * the latest, and [verify].
 *
 * ```kotlin
 * val run = RunReader.open(Path.of("runs/digits"))
 * val best = run.best() ?: error("no best checkpoint yet")
 * check(best.verify() == CheckpointStatus.Ok)
 * val weights = best.file("weights.txt")
 * ```
 *
 * It deliberately takes no lock and changes nothing: it neither cleans up nor recovers a crashed
 * writer's leftovers (the next [RunWriter.open] does). When a writer crashed in the middle of replacing a
 * checkpoint, the view points at the version the manifest records, wherever it currently sits. It is a
 * snapshot: open it again to see later commits. It never follows a symbolic link inside the run.
 */
public class RunReader private constructor(
    /** The run directory (absolute, normalised). */
    public val root: Path,
    /** The manifest as read at [open]. */
    public val manifest: Manifest,
    /** The listed checkpoints, oldest commit first. */
    public val checkpoints: List<StoredCheckpoint>,
) {
    /** The best checkpoint as the manifest records it, or null. */
    public fun best(): StoredCheckpoint? = manifest.best?.let { byPath(it) }

    /** The latest kept checkpoint as the manifest records it, or null. */
    public fun latest(): StoredCheckpoint? = manifest.latest?.let { byPath(it) }

    /** The checkpoint listed at [path] (relative to [root], `/`-separated), or null. */
    public fun byPath(path: String): StoredCheckpoint? = checkpoints.firstOrNull { it.path == path }

    /** The checkpoints taken at [epoch] (several when batch-level saves happened in it), oldest first. */
    public fun byEpoch(epoch: Int): List<StoredCheckpoint> = checkpoints.filter { it.entry.epoch == epoch }

    /** Re-hashes every file of every listed checkpoint. */
    @Throws(IOException::class)
    public fun verify(): VerifyReport = VerifyReport(checkpoints.map { CheckpointVerification(it.path, it.verify()) })

    /** Factory for [RunReader]. */
    public companion object {
        /**
         * Opens the run at [root] read-only.
         *
         * @throws NoSuchFileException when [root] is not a directory or holds no `manifest.json`
         * @throws CorruptRunException when the manifest is malformed, unsupported or hostile, or a listed
         *   checkpoint path runs through a symbolic link
         */
        @JvmStatic
        @Throws(IOException::class)
        public fun open(root: Path): RunReader {
            val normalized = root.toAbsolutePath().normalize()
            if (!Files.isDirectory(normalized)) {
                throw NoSuchFileException(normalized.toString(), null, "no run directory here (nothing was ever saved to it?)")
            }
            val manifest = readManifestIfPresent(normalized) ?: throw NoSuchFileException(
                normalized.resolve(MANIFEST_FILE).toString(), null, "not a ckpt run: it has no manifest.json",
            )
            val checkpoints = manifest.checkpoints.map { StoredCheckpoint(it, locate(normalized, it)) }
            return RunReader(normalized, manifest, checkpoints)
        }

        private fun locate(root: Path, entry: ManifestEntry): Path {
            val target = SafeFiles.resolveInside(root, entry.path)
            if (digestOrNull(target) == entry.checkpointSha256) return target
            // A writer crashed while replacing this checkpoint: the recorded version sits in a backup sibling
            // until the next writer open moves it back.
            val parent = target.parent
            if (!Files.isDirectory(parent, LinkOption.NOFOLLOW_LINKS)) return target
            val name = target.fileName.toString()
            Files.newDirectoryStream(parent).use { siblings ->
                for (sibling in siblings) {
                    val leftover = Leftovers.parse(sibling.fileName.toString()) ?: continue
                    if (leftover.kind != Leftovers.Kind.BACKUP || leftover.target != name) continue
                    if (Files.isDirectory(sibling, LinkOption.NOFOLLOW_LINKS) && digestOrNull(sibling) == entry.checkpointSha256) {
                        return sibling
                    }
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
}

/**
 * One checkpoint of a run, as listed in the manifest, with the directory its files are read from.
 *
 * ```kotlin
 * val latest = RunReader.open(root).latest()!!
 * val meta = latest.metadata()               // checked against the manifest
 * val kernel = latest.file("variables/dense.kernel")
 * ```
 *
 * It deliberately does not load models: model formats belong to the caller. Reading a file does not
 * verify it; call [verify] (or [RunReader.verify]) first when it matters.
 */
public class StoredCheckpoint internal constructor(
    /** What the manifest records. */
    public val entry: ManifestEntry,
    /** Where the files are (normally `root/path`; a recovery backup while a crashed overwrite awaits recovery). */
    public val directory: Path,
) {
    /** The checkpoint's path relative to the run directory. */
    public val path: String get() = entry.path

    /**
     * Reads `checkpoint.json`, refusing it unless its SHA-256 is the one the manifest recorded.
     *
     * @throws CorruptRunException when it is missing, changed since the commit, or malformed
     */
    @Throws(IOException::class)
    public fun metadata(): CheckpointMetadata {
        val file = SafeFiles.resolveInside(directory, CheckpointMetadata.METADATA_FILE)
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw CorruptRunException(file, "is missing: checkpoint \"$path\" is incomplete")
        }
        val bytes = Durable.readBounded(file, Durable.METADATA_LIMIT)
        val actual = Durable.sha256(bytes)
        if (actual != entry.checkpointSha256) {
            throw CorruptRunException(
                file,
                "has SHA-256 $actual but manifest.json recorded ${entry.checkpointSha256}: it changed after the commit",
            )
        }
        return decodeStrict(file, bytes, CheckpointMetadata.serializer())
    }

    /**
     * The path of a file of this checkpoint, [relativePath] being `/`-separated and relative to [directory].
     *
     * @throws CorruptRunException when [relativePath] would leave the checkpoint or runs through a symbolic link
     */
    @Throws(IOException::class)
    public fun file(relativePath: String): Path = SafeFiles.resolveInside(directory, relativePath)

    /** Re-hashes every file `checkpoint.json` lists and reports the first problem found, or [CheckpointStatus.Ok]. */
    @Throws(IOException::class)
    public fun verify(): CheckpointStatus {
        if (!Files.isDirectory(directory, LinkOption.NOFOLLOW_LINKS)) return CheckpointStatus.Missing
        val metadataFile = directory.resolve(CheckpointMetadata.METADATA_FILE)
        if (!Files.exists(metadataFile, LinkOption.NOFOLLOW_LINKS)) return CheckpointStatus.Incomplete(CheckpointMetadata.METADATA_FILE)
        val metadata = try {
            metadata()
        } catch (e: CorruptRunException) {
            val actual = try {
                Durable.sha256(Durable.readBounded(metadataFile, Durable.METADATA_LIMIT))
            } catch (io: IOException) {
                null
            }
            return if (actual != null && actual != entry.checkpointSha256) {
                CheckpointStatus.Corrupt(CheckpointMetadata.METADATA_FILE, entry.checkpointSha256, actual)
            } else {
                CheckpointStatus.Corrupt(CheckpointMetadata.METADATA_FILE, "valid checkpoint metadata", e.problem)
            }
        }
        for (file in metadata.files) {
            val resolved = try {
                SafeFiles.resolveInside(directory, file.path)
            } catch (e: CorruptRunException) {
                return CheckpointStatus.Corrupt(file.path, "a regular file inside the checkpoint", e.problem)
            }
            if (!Files.exists(resolved, LinkOption.NOFOLLOW_LINKS)) return CheckpointStatus.Incomplete(file.path)
            val (size, sha) = Durable.hash(resolved)
            if (size != file.size || sha != file.sha256) return CheckpointStatus.Corrupt(file.path, file.sha256, sha)
        }
        return CheckpointStatus.Ok
    }

    override fun toString(): String = "StoredCheckpoint($path at $directory)"
}

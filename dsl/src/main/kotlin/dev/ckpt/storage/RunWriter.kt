package dev.ckpt.storage

import kotlinx.serialization.json.JsonElement
import java.io.IOException
import java.nio.file.FileVisitOption
import java.nio.file.FileVisitResult
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.Path
import java.nio.file.SimpleFileVisitor
import java.nio.file.attribute.BasicFileAttributes
import java.time.Clock
import java.time.Instant

/** The points of the commit and deletion protocols; tests inject crashes and faults before each. */
internal enum class StorageStep {
    CREATE_TEMP,
    WRITE_FILES,
    WRITE_METADATA,
    SYNC_TEMP,
    MOVE_OLD_ASIDE,
    MOVE_INTO_PLACE,
    SYNC_PARENT,
    WRITE_MANIFEST_TEMP,
    MOVE_MANIFEST,
    DELETE_BACKUP,
    DELETE_FILES,
}

/**
 * The single writer of a run directory: commits checkpoints atomically, keeps `manifest.json` current,
 * and deletes checkpoints for retention, fenced to what the manifest lists.
 *
 * ```kotlin
 * RunWriter.open(Path.of("runs/digits"), policyFingerprint = "v1:max(val_accuracy)").use { run ->
 *     val info = CheckpointInfo(CheckpointKind.WEIGHTS, epoch = 3, step = 300,
 *         metrics = mapOf("val_accuracy" to 0.95), monitor = "val_accuracy", best = true)
 *     run.commit(Path.of("runs/digits/e03"), info, engineState = null) { dir ->
 *         Files.writeString(dir.resolve("weights.txt"), "…")
 *     }
 * }
 * ```
 *
 * Commit protocol: write into a temporary sibling `.<name>.ckpt-tmp-<hex>`, write `checkpoint.json` last,
 * flush every file and directory, then one atomic rename into place. Overwriting a fixed path moves the
 * old checkpoint aside to `.<name>.ckpt-bak-<hex>` first and deletes it only after the manifest records
 * the new one, so every crash point leaves the old or the new checkpoint recoverable; [open] finishes or
 * rolls back whatever a crash left.
 *
 * It deliberately does not decide what to save or delete (the engine does), does not write model files
 * (the caller's [CheckpointFilesWriter] does), never copies instead of renaming, never deletes a file
 * that no `checkpoint.json` lists, and is not thread-safe beyond serialising its own calls.
 */
public class RunWriter private constructor(
    /** The run directory (absolute, normalised). */
    public val root: Path,
    private val policyFingerprint: String,
    private val clock: Clock,
    private val lock: RunLock,
    private val hook: (StorageStep) -> Unit,
    initial: Manifest,
) : AutoCloseable {
    @Volatile
    private var current: Manifest = initial

    @Volatile
    private var closed = false

    /** The manifest as it is on disk now. */
    public val manifest: Manifest get() = current

    /**
     * Commits one checkpoint at [target] (inside [root]; a relative path is resolved like any [Path],
     * against the working directory) and records it in the manifest with [engineState].
     *
     * @throws IllegalArgumentException when [target] is outside the run, reserved, or nested in another checkpoint,
     *   or when [files] writes `checkpoint.json` or a symbolic link
     * @throws IOException when writing fails (disk full included): the temporary directory is removed and the
     *   earlier checkpoints and manifest stay as they were; also when [target] exists but holds files ckpt did not write
     */
    @Synchronized
    @Throws(IOException::class)
    public fun commit(target: Path, info: CheckpointInfo, engineState: JsonElement?, files: CheckpointFilesWriter): ManifestEntry {
        checkOpen()
        val (absolute, relative) = resolveTarget(target)
        val parent = absolute.parent
        val name = absolute.fileName.toString()
        val before = current
        var temp: Path? = null
        var backup: Path? = null
        var placed = false
        try {
            ensureDirectories(relative)
            val overwrite = Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)
            if (overwrite) requireReplaceable(absolute)

            hook(StorageStep.CREATE_TEMP)
            temp = parent.resolve(Leftovers.temp(name))
            Files.createDirectory(temp)

            hook(StorageStep.WRITE_FILES)
            files.writeFiles(temp)

            hook(StorageStep.WRITE_METADATA)
            val (entries, directories) = hashAndSyncContents(temp)
            val createdAt = Instant.now(clock)
            val metadata = CheckpointMetadata(
                kind = info.kind, epoch = info.epoch, batch = info.batch, step = info.step, metrics = info.metrics,
                monitor = info.monitor, best = info.best, createdAt = createdAt, files = entries,
            )
            val metadataBytes = encodeBytes(CheckpointMetadata.serializer(), metadata)
            Durable.writeNewFile(temp.resolve(CheckpointMetadata.METADATA_FILE), metadataBytes)

            hook(StorageStep.SYNC_TEMP)
            for (dir in directories.asReversed()) Durable.syncDirectory(dir)

            if (overwrite) {
                hook(StorageStep.MOVE_OLD_ASIDE)
                backup = parent.resolve(Leftovers.backup(name))
                Durable.atomicMove(absolute, backup)
            }
            hook(StorageStep.MOVE_INTO_PLACE)
            Durable.atomicMove(temp, absolute)
            temp = null
            placed = true

            hook(StorageStep.SYNC_PARENT)
            Durable.syncDirectory(parent)

            val entry = ManifestEntry(
                path = relative, kind = info.kind, epoch = info.epoch, batch = info.batch, step = info.step,
                metrics = info.metrics, monitor = info.monitor, monitorValue = info.monitorValue,
                createdAt = createdAt, checkpointSha256 = Durable.sha256(metadataBytes),
            )
            writeManifest(committed(current, entry, info.best, engineState))

            if (backup != null) {
                try {
                    hook(StorageStep.DELETE_BACKUP)
                    SafeFiles.deleteCheckpoint(backup)
                } catch (e: Exception) {
                    // The commit is complete and recorded; the next open removes the backup.
                    SafeFiles.warn("checkpoint $absolute is committed, but its previous version could not be removed from $backup: $e")
                }
            }
            return entry
        } catch (e: Exception) {
            if (current !== before) {
                throw IOException(
                    "checkpoint $absolute was committed and recorded in ${root.resolve(MANIFEST_FILE)}, " +
                        "but flushing the run directory afterwards failed: ${e.message}",
                    e,
                )
            }
            val restored = rollBack(e, temp, absolute, placed, backup)
            if (e !is IOException) throw e
            throw IOException(
                "could not save checkpoint $absolute: ${e.message ?: e.javaClass.simpleName}; " +
                    if (restored) {
                        "the temporary directory was removed, earlier checkpoints and manifest.json are unchanged"
                    } else {
                        "cleaning up failed too (see suppressed exceptions); reopening the run recovers it"
                    },
                e,
            )
        }
    }

    /** Commits like the four-argument [commit], keeping the engine state the manifest already holds. */
    @Synchronized
    @Throws(IOException::class)
    public fun commit(target: Path, info: CheckpointInfo, files: CheckpointFilesWriter): ManifestEntry =
        commit(target, info, current.engineState, files)

    /**
     * Deletes the checkpoint the manifest lists at [path] (relative to [root]), as retention decided.
     *
     * Only the files its own `checkpoint.json` lists are deleted, then `checkpoint.json`, then the
     * directory if it is empty; files ckpt did not write stay, and so does their directory.
     *
     * @throws IllegalArgumentException when [path] is not listed, or is the best or the latest checkpoint
     * @throws IOException when the manifest cannot be rewritten (nothing is deleted then), or deleting files failed
     */
    @Synchronized
    @Throws(IOException::class)
    public fun delete(path: String) {
        checkOpen()
        val manifest = current
        val entry = manifest.entry(path) ?: throw IllegalArgumentException(
            "\"$path\" is not a checkpoint of run $root; ckpt deletes only the checkpoints manifest.json lists: " +
                manifest.checkpoints.map { it.path },
        )
        require(path != manifest.best) { "\"$path\" is the best checkpoint of run $root; ckpt never deletes the best checkpoint" }
        require(path != manifest.latest) { "\"$path\" is the latest checkpoint of run $root; ckpt never deletes the latest checkpoint" }
        val dir = SafeFiles.resolveInside(root, path)
        // Manifest first, files second. A crash in between leaves files that no manifest entry points at:
        // wasted space, never mistaken for a checkpoint. The other order could leave the manifest listing a
        // half-deleted checkpoint that restore would trust.
        writeManifest(manifest.copy(checkpoints = manifest.checkpoints.filter { it !== entry }))
        hook(StorageStep.DELETE_FILES)
        try {
            SafeFiles.deleteCheckpoint(dir)
        } catch (e: CorruptRunException) {
            SafeFiles.warn("checkpoint $path was removed from the manifest, but its files were left in place: ${e.message}")
        } catch (e: IOException) {
            throw IOException("checkpoint $path was removed from the manifest, but deleting its files failed: ${e.message}", e)
        }
    }

    /** Records a new engine state without committing a checkpoint (for example after an epoch that saved nothing). */
    @Synchronized
    @Throws(IOException::class)
    public fun updateEngineState(engineState: JsonElement?) {
        checkOpen()
        writeManifest(current.copy(engineState = engineState))
    }

    /** A read-only view of the run as it is now. */
    @Synchronized
    @Throws(IOException::class)
    public fun reader(): RunReader {
        checkOpen()
        return RunReader.open(root)
    }

    /** Releases the run lock. Leaves `run.lock` in place (deleting it would race with the next writer). */
    @Synchronized
    override fun close() {
        if (closed) return
        closed = true
        lock.close()
    }

    private fun checkOpen() = check(!closed) { "run writer for $root is closed; open a new one with RunWriter.open" }

    private fun resolveTarget(target: Path): Pair<Path, String> {
        require(target.fileSystem == root.fileSystem) {
            "checkpoint path $target is on another file system than the run directory $root"
        }
        val absolute = target.toAbsolutePath().normalize()
        require(absolute.startsWith(root) && absolute != root) {
            "checkpoint path $target must be inside the run directory $root (the template's fixed leading directories)"
        }
        val relative = SafeFiles.relative(root, absolute)
        checkpointPathProblem(relative)?.let { throw IllegalArgumentException("checkpoint path $target $it") }
        current.checkpoints.firstOrNull { it.path != relative && RelativePaths.overlaps(it.path, relative) }?.let {
            throw IllegalArgumentException(
                "checkpoint path $target is nested with checkpoint \"${it.path}\"; checkpoint directories cannot contain each other",
            )
        }
        return absolute to relative
    }

    private fun ensureDirectories(relative: String) {
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
    }

    private fun requireReplaceable(target: Path) {
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
        val own = metadata.files.mapTo(HashSet()) { it.path }.apply { add(CheckpointMetadata.METADATA_FILE) }
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
        if (foreign.isNotEmpty()) {
            throw IOException(
                "$target holds files ckpt did not write (${foreign.take(5).joinToString(", ")}); ckpt does not replace " +
                    "a checkpoint directory holding them: move them away or choose another path",
            )
        }
    }

    private fun hashAndSyncContents(temp: Path): Pair<List<FileEntry>, List<Path>> {
        val entries = ArrayList<FileEntry>()
        val directories = ArrayList<Path>()
        Files.walkFileTree(temp, object : SimpleFileVisitor<Path>() {
            override fun preVisitDirectory(dir: Path, attrs: BasicFileAttributes): FileVisitResult {
                directories.add(dir)
                return FileVisitResult.CONTINUE
            }

            override fun visitFile(file: Path, attrs: BasicFileAttributes): FileVisitResult {
                val rel = SafeFiles.relative(temp, file)
                require(attrs.isRegularFile) {
                    "the checkpoint writer created \"$rel\", which is not a regular file (a symbolic link?); checkpoints hold regular files only"
                }
                require(rel != CheckpointMetadata.METADATA_FILE) {
                    "the checkpoint writer wrote \"${CheckpointMetadata.METADATA_FILE}\", a name ckpt reserves for the checkpoint's metadata"
                }
                val (size, sha) = Durable.hashAndSync(file)
                entries.add(FileEntry(rel, size, sha))
                return FileVisitResult.CONTINUE
            }
        })
        entries.sortBy { it.path }
        return entries to directories
    }

    /** Undoes a failed commit; returns true when everything is back as before. */
    private fun rollBack(failure: Exception, temp: Path?, target: Path, placed: Boolean, backup: Path?): Boolean {
        var ok = true
        fun attempt(action: () -> Unit) {
            try {
                action()
            } catch (e: Exception) {
                ok = false
                failure.addSuppressed(e)
            }
        }
        if (temp != null) attempt { SafeFiles.deleteOwnTree(temp) }
        if (placed) attempt { if (!SafeFiles.deleteCheckpoint(target)) throw IOException("could not remove $target") }
        if (backup != null && Files.exists(backup, LinkOption.NOFOLLOW_LINKS)) {
            attempt {
                if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) throw IOException("cannot restore $backup: $target exists")
                Durable.atomicMove(backup, target)
                Durable.syncDirectory(target.parent)
            }
        }
        return ok
    }

    private fun writeManifest(proposed: Manifest) {
        // Every rewrite is stamped with this writer's policy: the manifest names the policy that last changed it.
        val next = proposed.copy(policyFingerprint = policyFingerprint)
        val bytes = encodeBytes(Manifest.serializer(), next)
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
        current = next
        Durable.syncDirectory(root)
    }

    private fun committed(manifest: Manifest, entry: ManifestEntry, isBest: Boolean, engineState: JsonElement?): Manifest {
        val best = when {
            isBest -> entry.path
            // The best checkpoint's directory now holds a newer, non-best checkpoint: the best is gone.
            manifest.best == entry.path -> null
            else -> manifest.best
        }
        return manifest.copy(
            best = best,
            latest = entry.path,
            checkpoints = manifest.checkpoints.filter { it.path != entry.path } + entry,
            engineState = engineState,
        )
    }

    /**
     * Finishes or rolls back what a crashed writer left: temporary directories and manifest files are
     * removed; a backup is restored when its checkpoint is missing, or when the checkpoint in place is not
     * the one the manifest records; otherwise the backup is removed (fenced, like retention). Only names
     * matching ckpt's patterns are considered; links are not followed.
     */
    private fun recoverLeftovers() {
        val listed = current.checkpoints.mapTo(HashSet()) { root.resolve(it.path).normalize() }
        val found = ArrayList<Path>()
        Files.walkFileTree(root, emptySet<FileVisitOption>(), Int.MAX_VALUE, object : SimpleFileVisitor<Path>() {
            override fun preVisitDirectory(dir: Path, attrs: BasicFileAttributes): FileVisitResult {
                if (dir == root) return FileVisitResult.CONTINUE
                if (Leftovers.parse(dir.fileName.toString()) != null) {
                    found.add(dir)
                    return FileVisitResult.SKIP_SUBTREE
                }
                // Temporary siblings never live inside a checkpoint.
                return if (dir in listed) FileVisitResult.SKIP_SUBTREE else FileVisitResult.CONTINUE
            }

            override fun visitFile(file: Path, attrs: BasicFileAttributes): FileVisitResult {
                if (Leftovers.parse(file.fileName.toString()) != null) found.add(file)
                return FileVisitResult.CONTINUE
            }

            override fun visitFileFailed(file: Path, exc: IOException): FileVisitResult {
                SafeFiles.warn("could not look for ckpt leftovers in $file: $exc")
                return FileVisitResult.CONTINUE
            }
        })
        val (temps, backups) = found.partition { Leftovers.parse(it.fileName.toString())!!.kind == Leftovers.Kind.TEMP }
        for (temp in temps) SafeFiles.deleteOwnTree(temp)
        for (backup in backups) recoverBackup(backup)
    }

    private fun recoverBackup(backup: Path) {
        if (!Files.isDirectory(backup, LinkOption.NOFOLLOW_LINKS)) {
            SafeFiles.warn("left $backup in place: ckpt's backups are directories, this is not one")
            return
        }
        val target = backup.resolveSibling(Leftovers.parse(backup.fileName.toString())!!.target)
        try {
            if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                Durable.atomicMove(backup, target)
                Durable.syncDirectory(target.parent)
                return
            }
            val recorded = current.entry(SafeFiles.relative(root, target))?.checkpointSha256
            val inPlace = SafeFiles.metadataDigest(target)
            if (recorded != null && inPlace != recorded && SafeFiles.metadataDigest(backup) == recorded) {
                // The new checkpoint was moved into place but the manifest never recorded it: go back to the
                // recorded one, so manifest and disk agree.
                if (SafeFiles.deleteCheckpoint(target)) {
                    Durable.atomicMove(backup, target)
                    Durable.syncDirectory(target.parent)
                }
            } else {
                SafeFiles.deleteCheckpoint(backup)
            }
        } catch (e: CorruptRunException) {
            SafeFiles.warn("left $backup in place: ${e.message}")
        }
    }

    /** Factory for [RunWriter]. */
    public companion object {
        /**
         * Opens (creating if needed) the run directory [root] for writing: takes the run lock, reads
         * `manifest.json` strictly (or writes an empty one for a new run), and recovers ckpt's own leftovers.
         *
         * @param policyFingerprint written into the manifest with every commit; comparing it with an existing
         *   run's fingerprint before resuming is the caller's job
         * @param clock source of `createdAt`
         * @param owner who holds the lock, written into `run.lock` so a refused writer can name it
         * @throws RunLockedException when another writer holds the run
         * @throws CorruptRunException when an existing manifest is malformed, unsupported or hostile
         */
        @JvmStatic
        @JvmOverloads
        @Throws(IOException::class)
        public fun open(
            root: Path,
            policyFingerprint: String,
            clock: Clock = Clock.systemUTC(),
            owner: String = defaultOwner(clock),
        ): RunWriter = open(root, policyFingerprint, clock, owner) {}

        internal fun open(root: Path, policyFingerprint: String, clock: Clock, owner: String, hook: (StorageStep) -> Unit): RunWriter {
            val normalized = root.toAbsolutePath().normalize()
            Files.createDirectories(normalized)
            val lock = RunLock.acquire(normalized, owner)
            try {
                val existing = readManifestIfPresent(normalized)
                val writer = RunWriter(
                    normalized, policyFingerprint, clock, lock, hook,
                    existing ?: Manifest(policyFingerprint = policyFingerprint),
                )
                writer.recoverLeftovers()
                if (existing == null) writer.writeManifest(writer.current)
                return writer
            } catch (e: Throwable) {
                lock.close()
                throw e
            }
        }

        private fun defaultOwner(clock: Clock): String =
            "pid ${ProcessHandle.current().pid()} (user ${System.getProperty("user.name")}), since ${Instant.now(clock)}"
    }
}

/** Reads `root/manifest.json` strictly, or returns null when the run has none yet. */
internal fun readManifestIfPresent(root: Path): Manifest? {
    val file = root.resolve(MANIFEST_FILE)
    if (Files.isSymbolicLink(file)) {
        throw CorruptRunException(file, "is a symbolic link; ckpt never follows links inside a run")
    }
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) return null
    return decodeStrict(file, Durable.readBounded(file, Durable.METADATA_LIMIT), Manifest.serializer())
}

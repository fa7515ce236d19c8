package dev.ckpt.storage

import java.io.IOException
import java.time.Clock
import java.time.Instant
import java.util.UUID

/**
 * What a commit changes in the run besides adding the checkpoint, as the decision engine planned it: the best
 * checkpoint afterwards, the checkpoints retention releases, and the engine state to store.
 */
internal class RunChange(
    val best: String?,
    val released: List<String>,
    val engineState: StoredEngineState?,
    /** Commit the checkpoint as the run's resume point (apart from the list) instead of as a listed checkpoint. */
    val resumePoint: Boolean = false,
)

/**
 * The single writer of a run: commits checkpoints through a [RunStore], keeps `manifest.json` (the one list
 * of the run's checkpoints) current with ONE replacement per commit, and deletes released checkpoints after
 * the write that released them.
 *
 * ```kotlin
 * RunWriter.open(FileRunStore(Path.of("runs/digits")), policyFingerprint).use { run ->
 *     run.commit("e03", facts, files, RunChange(best = "e03", released = listOf("e01"), engineState = state))
 *     run.release()          // deletes e01's files; the next manifest write forgets it
 * }
 * ```
 *
 * Release protocol: a commit's manifest write adds the new entry and moves the released ones to `releasing`;
 * [release] deletes their files; the next write (a commit, [close], or the next writer's [open]) drops the
 * entries whose files are gone. A crash anywhere leaves each released checkpoint listed in `releasing` until
 * its files are gone, so none is ever left unlisted on disk, and a deletion that failed is retried.
 *
 * It deliberately does not decide what to save or release (the engine does), does not produce model files
 * (the caller does), and is not thread-safe: one thread (the training thread or the one background writer)
 * drives it.
 */
internal class RunWriter private constructor(
    private val store: RunStore,
    private val policyFingerprint: String,
    private val lock: AutoCloseable,
    private val hook: (StorageStep) -> Unit,
    private val claim: WriterClaim?,
    initial: Manifest,
) : AutoCloseable {
    /** The manifest as last written (or read at open). */
    var manifest: Manifest = initial
        private set

    /** Paths in `releasing` whose files are gone since the last manifest write. */
    private val gone = HashSet<String>()

    /** How many times this writer replaced `manifest.json`. */
    var manifestWrites: Int = 0
        private set

    private var closed = false

    /** Where the run is, for messages. */
    val location: String get() = store.location

    /** A read-only view of the run as this writer last wrote it. */
    fun reader(): RunReader = RunReader.of(store, manifest)

    /**
     * Commits the checkpoint at [path] (relative to the run): [files], then `checkpoint.json` with [facts] (its
     * `createdAt` as the engine decided it: one time for the engine's list, the manifest and retention), then one manifest write that lists it, applies [change] and
     * stores the engine state. Returns the manifest entry.
     *
     * @throws IllegalArgumentException when [path] is reserved, nested with another checkpoint, or [change] releases
     *   what is not listed, or makes best a checkpoint that is not kept
     * @throws IOException when writing fails (disk full included): nothing changed, the earlier checkpoints and the
     *   manifest are as they were; also when [path] holds files ckpt did not write
     */
    @Throws(IOException::class)
    fun commit(path: String, facts: CheckpointFacts, files: List<CheckpointFile>, change: RunChange): ManifestEntry {
        check(!closed) { "run writer for $location is closed" }
        checkPath(path)
        checkFiles(files)
        val listed = manifest.checkpoints.map { it.path }.toSet()
        require(!change.resumePoint || change.released.isEmpty()) { "a resume point releases no checkpoint, got ${change.released}" }
        change.released.forEach { released ->
            require(released in listed && released != path) {
                "\"$released\" cannot be released: it is not a checkpoint of run $location other than the one being committed"
            }
        }
        // A new checkpoint where a release is pending replaces those files: finish that release first.
        manifest.releasing.filter { it.path !in gone && RelativePaths.overlaps(it.path, path) }.forEach { pending ->
            releaseOne(pending)?.let { if (pending.path != path) throw it }
        }

        val metadataBytes = try {
            store.commit(path, files, { entries -> Codecs.encode(CheckpointMetadata(FORMAT_VERSION, manifest.runId, facts, entries)) }, hook)
        } catch (e: IOException) {
            if (e is dev.ckpt.RunLockedException) throw e
            throw IOException("could not save checkpoint ${store.describe(path)}: ${e.message ?: e.javaClass.simpleName}; ${cleanupNote(e)}", e)
        }
        val entry = ManifestEntry(path, Durable.sha256(metadataBytes), facts)
        val next = committed(entry, change)
        try {
            write(next)
        } catch (e: ManifestRecordedException) {
            store.afterRecorded(path, hook)
            throw IOException(
                "checkpoint ${store.describe(path)} was committed and recorded in ${store.describe(MANIFEST_FILE)}, " +
                    "but flushing the run directory afterwards failed: ${e.cause?.message}",
                e.cause,
            )
        } catch (e: Exception) {
            store.abandon(path, e)
            if (e !is IOException || e is dev.ckpt.RunLockedException) throw e
            throw IOException("could not save checkpoint ${store.describe(path)}: ${e.message ?: e.javaClass.simpleName}; ${cleanupNote(e)}", e)
        }
        store.afterRecorded(path, hook)
        return entry
    }

    /**
     * Releases listed checkpoints outside a commit (pruning a run): ONE manifest write moves them from the list to
     * `releasing`, then their files are deleted as after a commit's releases; the next write drops them. Returns
     * the deletion failures, each naming the checkpoint (those stay in `releasing` and are retried).
     *
     * @throws IllegalArgumentException when a path is not listed, or is the best or the latest checkpoint
     */
    @Throws(IOException::class)
    fun releaseNow(paths: Collection<String>): List<IOException> {
        check(!closed) { "run writer for $location is closed" }
        val released = paths.toSet()
        for (path in released) {
            require(manifest.entry(path) != null) { "\"$path\" cannot be released: it is not a checkpoint of run $location" }
            require(path != manifest.best && path != manifest.latest) {
                "\"$path\" cannot be released: it is the ${if (path == manifest.best) "best" else "latest"} checkpoint of run $location"
            }
        }
        if (released.isEmpty()) return emptyList()
        write(
            manifest.copy(
                checkpoints = manifest.checkpoints.filter { it.path !in released },
                releasing = manifest.releasing.filter { it.path !in gone } + manifest.checkpoints.filter { it.path in released },
            ),
        )
        return release()
    }

    /**
     * Appends [line] to the run's `history.jsonl`, flushed before returning. The training thread calls it while
     * the background writer may be committing: it touches nothing but `history.jsonl` (and reads [closed]).
     */
    @Throws(IOException::class)
    fun appendHistory(line: HistoryLine) {
        check(!closed) { "run writer for $location is closed" }
        store.appendHistory(HistoryCodec.encode(line))
    }

    /**
     * Deletes the files of the checkpoints in `releasing` (fenced: only what their `checkpoint.json` lists).
     * Returns the failures, each naming the checkpoint; a failed deletion stays listed and is retried by the next
     * [release] or writer.
     */
    fun release(): List<IOException> {
        if (closed) return emptyList()
        return manifest.releasing.filter { it.path !in gone }.mapNotNull { releaseOne(it) }
    }

    /** The paths of the checkpoints released whose files [release] deleted since the last manifest write. */
    val releasedSinceWrite: Set<String> get() = gone.toSet()

    private fun releaseOne(entry: ManifestEntry): IOException? = try {
        store.delete(entry.path, entry.checkpointSha256, hook)
        gone += entry.path
        null
    } catch (e: dev.ckpt.CorruptRunException) {
        // ckpt cannot tell which files are its own: they stay, and so does nothing else depend on them.
        SafeFiles.warn("checkpoint ${entry.path} was released, but its files were left in place: ${e.message}")
        gone += entry.path
        null
    } catch (e: IOException) {
        IOException("checkpoint ${store.describe(entry.path)} was released by retention, but deleting its files failed: " +
            "${e.message}; ckpt tries again at the next save", e)
    }

    /** Releases the run lock, after one last manifest write if released checkpoints are gone since the last one. */
    override fun close() {
        if (closed) return
        closed = true
        try {
            if (gone.isNotEmpty()) write(manifest.copy(releasing = manifest.releasing.filter { it.path !in gone }))
        } catch (e: Exception) {
            SafeFiles.warn("could not record in ${store.describe(MANIFEST_FILE)} that released checkpoints are gone " +
                "(the next writer does it): $e")
        } finally {
            lock.close()
        }
    }

    private fun committed(entry: ManifestEntry, change: RunChange): Manifest {
        // Any commit supersedes the previous resume point: it is released in the same write, never before.
        val previousPoint = listOfNotNull(manifest.resumePoint).filter { it.path != entry.path }
        if (change.resumePoint) {
            return manifest.copy(
                resumePoint = entry,
                releasing = manifest.releasing.filter { it.path !in gone && it.path != entry.path } + previousPoint,
                engineState = change.engineState?.toJson() ?: manifest.engineState,
            )
        }
        val released = change.released.toSet()
        val kept = manifest.checkpoints.filter { it.path != entry.path && it.path !in released } + entry
        require(change.best == null || kept.any { it.path == change.best }) {
            "best \"${change.best}\" is not among the checkpoints run $location keeps"
        }
        return manifest.copy(
            best = change.best,
            latest = entry.path,
            checkpoints = kept,
            releasing = manifest.releasing.filter { it.path !in gone && it.path != entry.path } +
                manifest.checkpoints.filter { it.path in released } + previousPoint,
            resumePoint = null,
            engineState = change.engineState?.toJson() ?: manifest.engineState,
        )
    }

    private fun write(next: Manifest) {
        // Every rewrite is stamped with this writer's policy: the manifest names the policy that last changed it.
        val stamped = next.copy(formatVersion = FORMAT_VERSION, policyFingerprint = policyFingerprint, writer = claim)
        replace(stamped)
    }

    private fun replace(next: Manifest, hook: (StorageStep) -> Unit = this.hook) {
        try {
            store.replaceManifest(Codecs.encode(next), hook)
        } catch (e: ManifestRecordedException) {
            // The new manifest is in place (only a flush after it failed): later writes must start from it, or they
            // would drop what it records.
            adopt(next)
            throw e
        }
        adopt(next)
    }

    private fun adopt(next: Manifest) {
        manifest = next
        manifestWrites++
        gone.retainAll(next.releasing.map { it.path }.toSet())
    }

    private fun checkPath(path: String) {
        checkpointPathProblem(path)?.let { throw IllegalArgumentException("checkpoint path ${store.describe(path)} $it") }
        manifest.resumePoint?.takeIf { it.path == path }?.let {
            throw IllegalArgumentException("checkpoint path ${store.describe(path)} is the run's resume point; a commit never replaces it in place")
        }
        manifest.owned.firstOrNull { it.path != path && RelativePaths.overlaps(it.path, path) }?.let {
            throw IllegalArgumentException(
                "checkpoint path ${store.describe(path)} is nested with checkpoint \"${it.path}\"; checkpoint directories cannot contain each other",
            )
        }
    }

    private fun checkFiles(files: List<CheckpointFile>) {
        val seen = HashSet<String>()
        for (file in files) {
            RelativePaths.problem(file.path)?.let { throw IllegalArgumentException("checkpoint file \"${file.path}\" $it") }
            require(file.path != METADATA_FILE) {
                "the checkpoint writer wrote \"$METADATA_FILE\", a name ckpt reserves for the checkpoint's metadata"
            }
            require(seen.add(file.path)) { "the checkpoint writer wrote \"${file.path}\" twice" }
        }
        val paths = seen
        paths.firstOrNull { p -> paths.any { it != p && it.startsWith("$p/") } }?.let {
            throw IllegalArgumentException("the checkpoint writer wrote \"$it\" both as a file and as a directory")
        }
    }

    private fun cleanupNote(e: Exception): String = if (e.suppressed.isEmpty()) {
        "the temporary files were removed, earlier checkpoints and manifest.json are unchanged"
    } else {
        "cleaning up failed too (see suppressed exceptions); reopening the run recovers it"
    }

    companion object {
        /**
         * Opens [store]'s run for writing: takes the lock, reads `manifest.json` strictly (or writes a new one),
         * recovers a crashed writer's leftovers, and finishes releases it left pending.
         *
         * @param policyFingerprint written into the manifest with every write; comparing it with an existing run's
         *   fingerprint before resuming is the caller's job
         * @throws dev.ckpt.RunLockedException when another writer holds the run
         * @throws dev.ckpt.CorruptRunException when an existing manifest is malformed, unsupported or hostile
         */
        @Throws(IOException::class)
        fun open(
            store: RunStore,
            policyFingerprint: String,
            clock: Clock = Clock.systemUTC(),
            owner: String = defaultOwner(clock),
            hook: (StorageStep) -> Unit = {},
            log: (String) -> Unit = {},
        ): RunWriter {
            val lock = store.lock(owner)
            try {
                val existing = store.readManifest()?.let { Codecs.decodeManifest(store.describe(MANIFEST_FILE), it) }
                val claim = if (store.claimsRunInManifest) WriterClaim(owner, randomToken()) else null
                val writer = RunWriter(
                    store, policyFingerprint, lock, hook, claim,
                    existing ?: Manifest(runId = UUID.randomUUID().toString(), policyFingerprint = policyFingerprint),
                )
                // The claim: one conditional write, before anything else changes, that makes every later write of
                // an earlier writer fail. It keeps the run's policy fingerprint, which resuming compares with. (Part
                // of opening, not of a commit: the commit's fault hook does not see it.)
                if (existing != null && claim != null) writer.replace(existing.copy(writer = claim)) {}
                store.recover(writer.manifest, hook).forEach(log)
                if (existing == null) {
                    writer.write(writer.manifest)
                } else if (existing.releasing.isNotEmpty()) {
                    writer.release().forEach { SafeFiles.warn(it.message ?: it.toString()) }
                    if (writer.gone.isNotEmpty()) {
                        writer.gone.forEach { log("deleted $it, which retention released before the previous writer stopped") }
                        writer.write(writer.manifest.copy(releasing = writer.manifest.releasing.filter { it.path !in writer.gone }))
                    }
                }
                return writer
            } catch (e: Throwable) {
                lock.close()
                throw e
            }
        }

        private fun randomToken(): String = "%016x".format(java.security.SecureRandom().nextLong())

        private fun defaultOwner(clock: Clock): String =
            "pid ${ProcessHandle.current().pid()} (user ${System.getProperty("user.name")}), since ${Instant.now(clock)}"
    }
}

/** The manifest was replaced, but a flush after the replacement failed: the commit is recorded. */
internal class ManifestRecordedException(cause: Throwable) : IOException(cause)

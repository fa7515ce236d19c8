package dev.ckpt.storage

import dev.ckpt.core.engine.SavePlan
import java.io.IOException
import java.time.Clock
import java.time.Instant
import java.util.UUID

/**
 * What one commit makes of the run, exactly as the decision engine planned it ([SavePlan]): the checkpoints the run
 * lists afterwards (oldest commit first), the best and the latest of them, the listed checkpoints retention
 * releases, and the engine state to store. [RunWriter] persists this as it is: it checks that the plan accounts for
 * every checkpoint the manifest lists (kept or released, none lost track of), and computes no list of its own.
 *
 * ```kotlin
 * writer.commit(save.checkpoint().path(), facts, files, RunChange.of(save.plan()))
 * ```
 */
internal class RunChange(
    /** The listed checkpoints after the commit, oldest first: the committed path among them unless [resumePoint]. */
    val kept: List<String>,
    val best: String?,
    val latest: String?,
    val released: List<String>,
    val engineState: StoredEngineState?,
    /** Commit the checkpoint as the run's resume point (apart from the list, which stays as it is) instead of as a listed checkpoint. */
    val resumePoint: Boolean = false,
) {
    companion object {
        /** The change [plan] describes; with [resumePoint], it commits the run's resume point (whose plan keeps the list as it is). */
        fun of(plan: SavePlan, resumePoint: Boolean = false): RunChange = RunChange(
            kept = plan.after().kept().map { it.path() },
            best = plan.after().bestPath(),
            latest = plan.after().latestPath(),
            released = plan.released().map { it.path() },
            engineState = StoredEngineState.of(plan.state()),
            resumePoint = resumePoint,
        )
    }
}

/**
 * The single writer of a run: commits checkpoints through a [RunStore], keeps `manifest.json` (the one list
 * of the run's checkpoints) current with ONE replacement per commit, and deletes released checkpoints after
 * the write that released them.
 *
 * ```kotlin
 * RunWriter.open(FileRunStore(Path.of("runs/digits")), policy.fingerprint()).use { run ->
 *     run.commit("e03", facts, files, RunChange.of(save.plan()))   // the plan keeps e02, e03 and releases e01
 *     run.release()          // deletes e01's files; the next manifest write forgets it
 * }
 * ```
 *
 * Unchanged files: a file whose raw digest ([CheckpointFile.rawDigest]) equals the same file's in the checkpoint this
 * writer committed last is handed to the store as [CheckpointFile.reuse] ([FileReuse]); each checkpoint stays
 * self-contained on disk.
 *
 * Release protocol: a commit's manifest write adds the new entry and moves the released ones to `releasing`;
 * [release] deletes their files; the next write (a commit, [close], or the next writer's [open]) drops the
 * entries whose files are gone. A crash anywhere leaves each released checkpoint listed in `releasing` until
 * its files are gone, so none is ever left unlisted on disk, and a deletion that failed is retried.
 *
 * It deliberately does not decide what to save or release (the engine does), does not produce model files
 * (the caller does), and is not thread-safe. Threads: [commit], [release], [releaseNow], [close] and [manifest]
 * belong to one thread at a time, the run's owner — the training thread, which hands each commit to the
 * background writer through a `Future` and reads the outcome back through it (`SaveQueue`), so each hand-over is
 * a happens-before edge and the two never run at once. [appendHistory] alone may be called by the training thread
 * while the background writer commits: it touches only `history.jsonl`, serialised by its own lock, and [closed],
 * which is volatile. [location] and [reader] of a settled writer are safe from the owner.
 */
internal class RunWriter private constructor(
    private val store: RunStore,
    private val policySettings: String,
    private val lock: AutoCloseable,
    private val hook: (StorageStep) -> Unit,
    private val claim: WriterClaim?,
    initial: Manifest,
    /** Takes unchanged files from the previous commit ([FileReuse]); null when reuse is off. */
    private val reuse: FileReuse?,
) : AutoCloseable {
    /** The manifest as last written (or read at open). */
    var manifest: Manifest = initial
        private set

    /** Paths in `releasing` whose files are gone since the last manifest write. */
    private val gone = HashSet<String>()

    @Volatile
    private var closed = false

    /** Serialises [appendHistory] calls (the only method another thread may call during a commit). */
    private val historyLock = Any()

    /** Where the run is, for messages. */
    val location: String get() = store.location

    /** A read-only view of the run as this writer last wrote it. */
    fun reader(): RunReader = RunReader.of(store, manifest)

    /**
     * Commits the checkpoint at [path] (relative to the run): [files], then `checkpoint.json` with [facts] (its
     * `createdAt` as the engine decided it: one time for the engine's list, the manifest and retention), then one
     * manifest write that persists [change] — the list, best, latest, releases and engine state the engine planned —
     * with [path]'s new entry. Returns the manifest entry.
     *
     * @throws IllegalArgumentException when [path] is reserved or nested with another checkpoint, or [change] does not
     *   fit the run: it lists or releases what the manifest does not list, drops a listed checkpoint without releasing
     *   it, or leaves out (or, for a resume point, includes) [path]; nothing is written then
     * @throws IOException when writing fails (disk full included): nothing changed, the earlier checkpoints and the
     *   manifest are as they were; also when [path] holds files ckpt did not write
     */
    @Throws(IOException::class)
    fun commit(path: String, facts: CheckpointFacts, files: List<CheckpointFile>, change: RunChange): ManifestEntry {
        check(!closed) { "run writer for $location is closed" }
        checkPath(path)
        checkFiles(files)
        checkChange(path, change)
        // A new checkpoint where a release is pending replaces those files: finish that release first.
        manifest.releasing.filter { it.path !in gone && RelativePaths.overlaps(it.path, path) }.forEach { pending ->
            releaseOne(pending)?.let { if (pending.path != path) throw it }
        }

        val planned = reuse?.prepare(files, manifest)
        // A failure below leaves the previous checkpoint's state unknown to reuse: it offers nothing until a commit succeeds.
        reuse?.forget()
        var written: List<FileEntry> = emptyList()
        val pending = try {
            store.commit(path, planned?.files ?: files, { entries ->
                written = entries
                Codecs.encode(CheckpointMetadata(FORMAT_VERSION, manifest.runId, facts, entries))
            }, hook)
        } catch (e: IOException) {
            if (e is dev.ckpt.RunLockedException) throw e
            throw IOException("could not save checkpoint ${store.describe(path)}: ${e.message ?: e.javaClass.simpleName}; ${cleanupNote(e)}", e)
        }
        val entry = ManifestEntry(path, Durable.sha256(pending.metadata), facts)
        try {
            write(committed(entry, change))
        } catch (e: ManifestRecordedException) {
            pending.finish()
            throw IOException(
                "checkpoint ${store.describe(path)} was committed and recorded in ${store.describe(MANIFEST_FILE)}, " +
                    "but flushing the run directory afterwards failed: ${e.cause?.message}",
                e.cause,
            )
        } catch (e: Exception) {
            pending.abandon(e)
            if (e !is IOException || e is dev.ckpt.RunLockedException) throw e
            throw IOException("could not save checkpoint ${store.describe(path)}: ${e.message ?: e.javaClass.simpleName}; ${cleanupNote(e)}", e)
        }
        pending.finish()
        if (planned != null) reuse?.committed(path, entry.checkpointSha256, written, planned)
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
        synchronized(historyLock) {
            check(!closed) { "run writer for $location is closed" }
            store.appendHistory(HistoryCodec.encode(line))
        }
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

    private fun releaseOne(entry: ManifestEntry): IOException? = try {
        store.delete(entry.path, entry.checkpointSha256, hook)
        gone += entry.path
        null
    } catch (e: dev.ckpt.CorruptRunException) {
        // ckpt cannot tell which files are its own: they stay, and so does nothing else depend on them.
        store.warnings("checkpoint ${entry.path} was released, but its files were left in place: ${e.message}")
        gone += entry.path
        null
    } catch (e: IOException) {
        IOException("checkpoint ${store.describe(entry.path)} was released by retention, but deleting its files failed: " +
            "${e.message}; ckpt tries again at the next save", e)
    }

    /** Releases the run lock, after one last manifest write if released checkpoints are gone since the last one. */
    override fun close() {
        if (closed) return
        synchronized(historyLock) { closed = true }
        try {
            if (gone.isNotEmpty()) write(manifest.copy(releasing = manifest.releasing.filter { it.path !in gone }))
        } catch (e: Exception) {
            store.warnings("could not record in ${store.describe(MANIFEST_FILE)} that released checkpoints are gone " +
                "(the next writer does it): $e")
        } finally {
            lock.close()
        }
    }

    /**
     * Refuses a [change] that does not fit the manifest, before anything is written: persisting it would list what
     * is not there, or lose track of a listed checkpoint's files.
     */
    private fun checkChange(path: String, change: RunChange) {
        val listed = manifest.checkpoints.map { it.path }.toSet()
        val released = change.released.toSet()
        fun refuse(problem: String): Nothing =
            throw IllegalArgumentException("the plan for ${store.describe(path)} does not fit run $location: $problem")
        if (change.resumePoint && released.isNotEmpty()) refuse("a resume point releases no checkpoint, got ${change.released}")
        if (change.resumePoint == (path in change.kept)) {
            refuse(if (change.resumePoint) "it lists the resume point among the checkpoints" else "it does not list the checkpoint it commits")
        }
        if (change.kept.toSet().size != change.kept.size) refuse("it lists a checkpoint twice, ${change.kept}")
        change.released.firstOrNull { it !in listed || it == path || it in change.kept }?.let {
            refuse("\"$it\" cannot be released: it is not a checkpoint of the run other than the one committed and the ones kept")
        }
        change.kept.firstOrNull { it != path && it !in listed }?.let { refuse("it keeps \"$it\", which the run does not list") }
        listed.firstOrNull { it != path && it !in change.kept && it !in released }?.let {
            refuse("it neither keeps nor releases \"$it\"")
        }
        if (change.best != null && change.best !in change.kept) refuse("best \"${change.best}\" is not among the checkpoints it keeps")
        if (change.latest != null && change.latest !in change.kept) refuse("latest \"${change.latest}\" is not among the checkpoints it keeps")
    }

    /** The manifest after committing [entry]: [change] as planned, [entry] in its place, the releases pending. */
    private fun committed(entry: ManifestEntry, change: RunChange): Manifest {
        val listed = manifest.checkpoints.associateBy { it.path }
        val released = change.released.toSet()
        // Any commit supersedes the previous resume point: it is released in the same write, never before.
        val previousPoint = listOfNotNull(manifest.resumePoint).filter { it.path != entry.path }
        return manifest.copy(
            best = change.best,
            latest = change.latest,
            checkpoints = change.kept.map { if (it == entry.path) entry else listed.getValue(it) },
            releasing = manifest.releasing.filter { it.path !in gone && it.path != entry.path } +
                manifest.checkpoints.filter { it.path in released } + previousPoint,
            resumePoint = if (change.resumePoint) entry else null,
            engineState = change.engineState?.toJson() ?: manifest.engineState,
        )
    }

    private fun write(next: Manifest) {
        // Every rewrite is stamped with this writer's policy: the manifest names the policy that last changed it.
        val stamped = next.copy(formatVersion = FORMAT_VERSION, policySettings = policySettings, writer = claim)
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
         * recovers a crashed writer's leftovers, and finishes releases it left pending. The store's warnings, from
         * now on, go to [warn] (which may be called from the background writer's thread, or an S3 lease's).
         *
         * @param policySettings the policy's decision settings (`CheckpointPolicy.fingerprint()`), written into the
         *   manifest with every write; comparing them with an existing run's before resuming is the caller's job
         * @throws dev.ckpt.RunLockedException when another writer holds the run
         * @throws dev.ckpt.CorruptRunException when an existing manifest is malformed, unsupported or hostile
         */
        @Throws(IOException::class)
        fun open(
            store: RunStore,
            policySettings: String,
            clock: Clock = Clock.systemUTC(),
            owner: String = defaultOwner(clock),
            hook: (StorageStep) -> Unit = {},
            log: (String) -> Unit = {},
            warn: (String) -> Unit = SafeFiles::warn,
            reuse: Boolean = true,
        ): RunWriter {
            store.warnings = warn
            val lock = store.lock(owner)
            try {
                val existing = store.readManifest()?.let { Codecs.decodeManifest(store.describe(MANIFEST_FILE), it) }
                val claim = if (store.claimsRunInManifest) WriterClaim(owner, randomToken()) else null
                val writer = RunWriter(
                    store, policySettings, lock, hook, claim,
                    existing ?: Manifest(runId = UUID.randomUUID().toString(), policySettings = policySettings),
                    if (reuse) FileReuse() else null,
                )
                // The claim: one conditional write, before anything else changes, that makes every later write of
                // an earlier writer fail. It keeps the run's policy fingerprint, which resuming compares with. (Part
                // of opening, not of a commit: the commit's fault hook does not see it.)
                if (existing != null && claim != null) writer.replace(existing.copy(writer = claim)) {}
                store.recover(writer.manifest, hook).forEach(log)
                if (existing == null) {
                    writer.write(writer.manifest)
                } else if (existing.releasing.isNotEmpty()) {
                    writer.release().forEach { warn(it.message ?: it.toString()) }
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

package dev.ckpt.storage

import dev.ckpt.CorruptRunException
import dev.ckpt.RunLockedException
import dev.ckpt.runTakenOver
import java.io.IOException
import java.nio.file.NoSuchFileException
import java.time.Clock
import java.time.Duration
import java.util.concurrent.ConcurrentHashMap

/**
 * A run under a prefix of an S3 bucket, committed by the *marker* protocol ([S3Commit]): no rename exists there,
 * so a checkpoint's objects are written where they stay and its `checkpoint.json`, written last, is what makes it
 * complete; `manifest.json` is replaced by one PUT.
 *
 * One writer: with conditional writes (the usual case, see [ConditionalWrites]) the writer that opens the run
 * claims it by rewriting the manifest, and every later manifest write is `If-Match` on the ETag of this writer's
 * previous one, so a writer that was taken over fails at its next save with [dev.ckpt.RunLockedException]; every
 * other object is created with `If-None-Match: *`, so no writer ever overwrites an object. Without conditional
 * writes, an [S3Lease] keeps other writers out (with weaker guarantees, logged at open).
 *
 * Overwriting a fixed path (`runs/x/best`) writes the new version beside the listed one, under
 * `.best.ckpt-ver-<hex>`, and the store finds a checkpoint by its path and the SHA-256 of its `checkpoint.json`
 * (which the manifest records): the listed version stays readable until the manifest lists the new one.
 *
 * ```kotlin
 * val store = S3RunStore(S3Location.parse("s3://ckpt-demo/runs/digits"), S3Objects(client, "ckpt-demo"))
 * RunWriter.open(store, fingerprint).use { it.commit("e01", facts, files, change) }
 * ```
 *
 * It deliberately does not create buckets, never copies an object to move it, and never deletes an object it
 * cannot tie to a write of its own (a pending marker, or a `checkpoint.json` that lists it).
 */
internal class S3RunStore(
    val run: S3Location,
    internal val objects: S3Objects,
    private val leaseDuration: Duration = S3Settings.leaseDuration(),
    internal val clock: Clock = Clock.systemUTC(),
) : RunStore {
    /** Whether `manifest.json` exists, and its ETag, as this store last read or wrote it. */
    private var manifestSeen = false
    private var manifestEtag: String? = null
    private var lease: S3Lease? = null

    /** (path, SHA-256 of `checkpoint.json`) to where that version is and its `checkpoint.json`: immutable facts. */
    private val located = ConcurrentHashMap<Pair<String, String>, Located>()

    internal class Located(val storedAt: String, val metadata: ByteArray)

    /** Decided when a writer opens the run; null for readers. */
    internal var mode: S3WriteMode? = null
        private set

    /** The run id of the manifest a writer opened (for pending markers). */
    internal var runId: String? = null
        private set

    /** The writer's owner text, set by [lock] (only writers commit, and a writer locks first). */
    internal lateinit var owner: String
        private set

    override val location: String get() = run.toString()

    override var warnings: (String) -> Unit = SafeFiles::warn

    override val claimsRunInManifest: Boolean get() = true

    override fun describe(relative: String): String = run.describe(relative)

    override fun hasAnything(): Boolean = objects.any(run.keyPrefix)

    override fun readManifest(): ByteArray? {
        val fetched = objects.get(run.key(MANIFEST_FILE), Durable.METADATA_LIMIT) ?: return null
        manifestSeen = true
        manifestEtag = fetched.etag
        return fetched.bytes
    }

    override fun replaceManifest(bytes: ByteArray, hook: (StorageStep) -> Unit) {
        checkNotTakenOver()
        hook(StorageStep.PUT_MANIFEST)
        val key = run.key(MANIFEST_FILE)
        val condition = when (mode) {
            S3WriteMode.CONDITIONAL -> if (!manifestSeen) {
                S3Objects.Condition.Absent
            } else {
                // A server that gives no ETag gives nothing to match: the write cannot be conditional then.
                manifestEtag?.let { S3Objects.Condition.Matches(it) } ?: S3Objects.Condition.None
            }
            else -> S3Objects.Condition.None
        }
        lease?.check()
        manifestEtag = try {
            objects.put(key, bytes, condition)
        } catch (e: S3Objects.PreconditionFailed) {
            throw takenOver()
        } catch (e: S3Objects.OutcomeUnknown) {
            // The server may have refused the write before reading it (S3Proxy does): what is there now decides.
            val now = objects.get(key, Durable.METADATA_LIMIT)
            when {
                now != null && now.bytes.contentEquals(bytes) -> now.etag
                now?.etag == manifestEtag -> throw IOException(e.message, e.cause)
                else -> throw takenOver()
            }
        }
        manifestSeen = true
    }

    private fun takenOver(): IOException {
        val holder = try {
            objects.get(run.key(MANIFEST_FILE), Durable.METADATA_LIMIT)?.let {
                Codecs.decodeManifest(describe(MANIFEST_FILE), it.bytes).writer?.owner
            }
        } catch (e: IOException) {
            null
        }
        return runTakenOver(location, holder).also { lost = it }
    }

    /**
     * Set once another writer took the run over: from then on this writer writes nothing more (no checkpoint, no
     * history line, no manifest), so a trainer that goes on under `WARN_AND_CONTINUE` cannot touch the new
     * writer's run.
     */
    @Volatile
    private var lost: RunLockedException? = null

    private fun checkNotTakenOver() {
        lost?.let { throw runTakenOver(location, it.holder) }
    }

    /**
     * S3 objects cannot be appended to, so each epoch rewrites `history.jsonl` whole: one line per epoch keeps it
     * small. A torn last line cannot happen on S3 (a PUT lands whole or not at all), but one copied from a file
     * system run is cut off here as it is there.
     */
    override fun appendHistory(line: ByteArray) {
        require(line.isNotEmpty() && line.last() == '\n'.code.toByte()) { "a history line must end with a newline" }
        checkNotTakenOver()
        val key = run.key(HISTORY_FILE)
        val before = objects.get(key, Durable.METADATA_LIMIT)?.bytes ?: ByteArray(0)
        lease?.check()
        objects.put(key, before.copyOf(before.lastIndexOf('\n'.code.toByte()) + 1) + line)
    }

    override fun readHistory(): ByteArray? = objects.get(run.key(HISTORY_FILE), Durable.METADATA_LIMIT)?.bytes

    override fun lock(owner: String): AutoCloseable {
        this.owner = owner
        val decided = ConditionalWrites.probe(objects, run)
        mode = decided
        if (decided == S3WriteMode.CONDITIONAL) return AutoCloseable { }
        warnings(
            "the S3 server of $location does not honour conditional writes (If-None-Match / If-Match were ignored on " +
                "a probe object): ckpt keeps other writers out of this run with a lease object, ${describe(LOCK_FILE)}, " +
                "renewed while this writer runs and expiring ${leaseDuration.seconds} s after it stops; unlike conditional " +
                "writes, a lease cannot stop two writers that start at the same moment (docs/storage.md)",
        )
        return S3Lease.acquire(objects, run, owner, clock, leaseDuration, warnings).also { lease = it }
    }

    override fun commit(path: String, files: List<CheckpointFile>, metadata: (List<FileEntry>) -> ByteArray, hook: (StorageStep) -> Unit): PendingCommit {
        checkNotTakenOver()
        return S3Commit(this, path, hook).apply { run(files, metadata) }
    }

    /** The manifest recorded the version of [path] stored at [storedAt]: later reads find it without a lookup. */
    internal fun recorded(path: String, storedAt: String, metadata: ByteArray) {
        located[path to Durable.sha256(metadata)] = Located(storedAt, metadata)
    }

    override fun readMetadata(path: String, sha256: String?): ByteArray? {
        if (sha256 != null) locate(path, sha256)?.let { return it.metadata }
        return objects.get(run.key("$path/$METADATA_FILE"), Durable.METADATA_LIMIT)?.bytes
    }

    override fun readFile(path: String, sha256: String, file: String): ByteArray {
        val key = fileKey(path, sha256, file)
        return objects.get(key)?.bytes ?: throw NoSuchFileException(objects.describe(key))
    }

    override fun hashFile(path: String, sha256: String, file: String): Pair<Long, String>? = objects.hash(fileKey(path, sha256, file))

    override fun exists(path: String, sha256: String?): Boolean {
        checkpointPathProblem(path)?.let { throw CorruptRunException(describe(path), "path \"$path\" $it") }
        if (sha256 != null && locate(path, sha256) != null) return true
        return objects.any(run.key(path) + "/")
    }

    override fun delete(path: String, sha256: String?, hook: (StorageStep) -> Unit): Boolean {
        val storedAt = sha256?.let { locate(path, it)?.storedAt } ?: path
        hook(StorageStep.DELETE_FILES)
        val gone = deleteStored(storedAt)
        if (sha256 != null) located.remove(path to sha256)
        return gone
    }

    override fun recover(manifest: Manifest, hook: (StorageStep) -> Unit): List<String> {
        runId = manifest.runId
        return S3Recovery(this, manifest, hook).run()
    }

    private fun fileKey(path: String, sha256: String, file: String): String {
        RelativePaths.problem(file)?.let { throw CorruptRunException(describe("$path/$file"), "path \"$file\" $it") }
        val storedAt = locate(path, sha256)?.storedAt ?: path
        return run.key("$storedAt/$file")
    }

    /**
     * Where the version of the checkpoint at [path] whose `checkpoint.json` has [sha256] is: at [path] itself, or
     * in a version prefix beside it (after an overwrite); null when neither holds it.
     */
    internal fun locate(path: String, sha256: String): Located? {
        located[path to sha256]?.let { return it }
        checkpointPathProblem(path)?.let { throw CorruptRunException(describe(path), "path \"$path\" $it") }
        val candidates = sequenceOf(path) + versionsOf(path).asSequence()
        for (storedAt in candidates) {
            val bytes = objects.get(run.key("$storedAt/$METADATA_FILE"), Durable.METADATA_LIMIT)?.bytes ?: continue
            if (Durable.sha256(bytes) == sha256) return Located(storedAt, bytes).also { located[path to sha256] = it }
        }
        return null
    }

    /** The version prefixes beside the checkpoint at [path] (`.<name>.ckpt-ver-<hex>`), run-relative. */
    internal fun versionsOf(path: String): List<String> {
        val parent = PendingWrite.parentOf(path)
        val stem = run.key("$parent.${path.substringAfterLast('/')}.ckpt-ver-")
        return objects.list(stem)
            .map { key -> parent + run.relative(key).removePrefix(parent).substringBefore('/') }
            .distinct()
            .filter { it != path && PendingWrite.isStorageOf(path, it) }
    }

    /**
     * Deletes the checkpoint stored at [storedAt] the fenced way: the objects its `checkpoint.json` lists, then that
     * object. Returns false when objects ckpt did not write remain under it.
     */
    internal fun deleteStored(storedAt: String): Boolean {
        val prefix = run.key(storedAt) + "/"
        val metadataKey = run.key("$storedAt/$METADATA_FILE")
        val fetched = objects.get(metadataKey, Durable.METADATA_LIMIT)
        if (fetched != null) {
            val metadata = Codecs.decodeMetadata(objects.describe(metadataKey), fetched.bytes)
            metadata.files.forEach { objects.delete(run.key("$storedAt/${it.path}")) }
            objects.delete(metadataKey)
        }
        // checkpoint.json goes after the objects it lists: without it, whatever is left is not ckpt's.
        val left = objects.list(prefix)
        if (left.isNotEmpty()) {
            warnings("kept ${describe(storedAt)}: it holds objects ckpt did not write (${left.take(5).joinToString(", ") { run.relative(it) }})")
            return false
        }
        return true
    }
}

/** Settings of S3 runs from system properties or the environment (documented in docs/storage.md). */
internal object S3Settings {
    /** `ckpt.s3.pathStyle` / `CKPT_S3_PATH_STYLE`: path-style addressing, for S3-compatible servers. */
    fun pathStyle(): Boolean = when (val value = setting("ckpt.s3.pathStyle", "CKPT_S3_PATH_STYLE")?.trim()?.lowercase()) {
        null, "", "false" -> false
        "true" -> true
        else -> throw IllegalArgumentException("CKPT_S3_PATH_STYLE (or -Dckpt.s3.pathStyle) must be true or false, got \"$value\"")
    }

    /** `ckpt.s3.leaseSeconds` / `CKPT_S3_LEASE_SECONDS`: how long a lease outlives its writer (servers without conditional writes). */
    fun leaseDuration(): Duration {
        val text = setting("ckpt.s3.leaseSeconds", "CKPT_S3_LEASE_SECONDS")?.trim() ?: return Duration.ofSeconds(60)
        val seconds = text.toLongOrNull()
        require(seconds != null && seconds >= 1) {
            "CKPT_S3_LEASE_SECONDS (or -Dckpt.s3.leaseSeconds) must be a whole number of seconds >= 1, got \"$text\""
        }
        return Duration.ofSeconds(seconds)
    }

    private fun setting(property: String, variable: String): String? = System.getProperty(property) ?: System.getenv(variable)
}

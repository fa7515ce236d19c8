package dev.ckpt.storage

import dev.ckpt.InternalCkptApi
import java.io.IOException

/**
 * Where a run lives and how its checkpoints are committed there: one implementation per kind of storage.
 *
 * - [FileRunStore]: a directory on a file system whose provider really renames atomically (the *rename*
 *   protocol: files in a temporary sibling, `checkpoint.json` last, one atomic rename into place).
 * - [S3RunStore]: a prefix of an S3 bucket (the *marker* protocol: files written in place, `checkpoint.json` last
 *   as the commit marker; a prefix without it is incomplete, ignored by readers and cleaned by the next writer).
 *
 * `docs/storage.md` says which protocol applies when.
 *
 * Both keep the run's `manifest.json` as the one list of checkpoints, replaced as a whole in one step.
 * Everything above this interface ([RunWriter], [RunReader]) is the same for every store: what is listed, what
 * is released, what is verified. Paths are relative to the run, `/`-separated and validated by the caller.
 */
@InternalCkptApi
public interface RunStore {
    /** The run for messages: a local path or an `s3://` location. */
    public val location: String

    /**
     * Where the store's warnings go (files it left in place, a replaced version it could not remove, a lease it
     * could not renew), possibly from the background writer's or a lease's thread. [RunWriter.open] points it at the
     * run's listener; until then it is SLF4J's `dev.ckpt` logger.
     */
    public var warnings: (String) -> Unit

    /** [relative] (a checkpoint, or a file in one) for messages. */
    public fun describe(relative: String): String

    /** Whether the run's location exists at all (a directory, a non-empty prefix). */
    @Throws(IOException::class)
    public fun hasAnything(): Boolean

    /** The manifest's bytes, or null when the run has none. */
    @Throws(IOException::class)
    public fun readManifest(): ByteArray?

    /** Replaces the manifest as a whole, atomically; [hook] is called before each step a crash could interrupt. */
    @Throws(IOException::class)
    public fun replaceManifest(bytes: ByteArray, hook: (StorageStep) -> Unit)

    /**
     * Appends [line] (one complete UTF-8 line, ending in `\n`) to the run's `history.jsonl` and flushes it to the
     * device before returning. A last line without its newline (a crash cut an earlier append short) is cut off
     * first, so every complete line stays readable. Called by the run's one writer, possibly while a commit is in
     * flight on the background writer: it touches nothing but `history.jsonl`.
     */
    @Throws(IOException::class)
    public fun appendHistory(line: ByteArray)

    /** The bytes of `history.jsonl`, or null when the run has none. */
    @Throws(IOException::class)
    public fun readHistory(): ByteArray?

    /**
     * Whether a writer claims the run by rewriting `manifest.json` at open (with a [WriterClaim]) and replaces it
     * only if nobody else wrote it since: object stores, where no lock outlives a crash cleanly. False for
     * file systems, where [lock] is an OS lock.
     */
    public val claimsRunInManifest: Boolean get() = false

    /** Takes the single-writer lock of the run for [owner] (a text naming the process, shown to refused writers). */
    @Throws(IOException::class)
    public fun lock(owner: String): AutoCloseable

    /**
     * Commits one checkpoint at [path]: writes [files], then `checkpoint.json` made by [metadata] from their
     * entries, so that a crash at any point leaves either the complete checkpoint or one readers recognise as
     * incomplete (and, when [path] held a committed checkpoint, that one intact until the new one is complete).
     * Never lists the checkpoint anywhere: that is the manifest's job, which the caller writes next, then tells the
     * returned [PendingCommit] whether that write recorded it.
     */
    @Throws(IOException::class)
    public fun commit(path: String, files: List<CheckpointFile>, metadata: (List<FileEntry>) -> ByteArray, hook: (StorageStep) -> Unit): PendingCommit

    /** The bytes of `checkpoint.json` of the checkpoint at [path] whose SHA-256 is [sha256], or null when absent. */
    @Throws(IOException::class)
    public fun readMetadata(path: String, sha256: String?): ByteArray?

    /** The bytes of one file of the checkpoint at [path], as located by [readMetadata]. */
    @Throws(IOException::class)
    public fun readFile(path: String, sha256: String, file: String): ByteArray

    /** (size, SHA-256) of one file of the checkpoint at [path], or null when it is missing. */
    @Throws(IOException::class)
    public fun hashFile(path: String, sha256: String, file: String): Pair<Long, String>?

    /** Whether the checkpoint at [path] whose `checkpoint.json` has [sha256] (any, when null) is stored at all. */
    @Throws(IOException::class)
    public fun exists(path: String, sha256: String?): Boolean

    /**
     * Deletes the checkpoint at [path] (the version whose `checkpoint.json` has [sha256], when the store keeps
     * versions apart) the fenced way: the files its `checkpoint.json` lists, then that file,
     * then what becomes empty; anything else stays. Returns false when something ckpt did not write kept it.
     */
    @Throws(IOException::class)
    public fun delete(path: String, sha256: String?, hook: (StorageStep) -> Unit): Boolean

    /**
     * Cleans what a crashed writer left, given the manifest as it is: temporary files, overwritten versions, and
     * complete checkpoints of this run (the manifest's `runId`) that no manifest entry lists. Returns what it did, for the log.
     */
    @Throws(IOException::class)
    public fun recover(manifest: Manifest, hook: (StorageStep) -> Unit): List<String>
}

/**
 * A checkpoint [RunStore.commit] wrote completely that no manifest lists yet. Its writer records it in the manifest,
 * then calls exactly one of [finish] (recorded) or [abandon] (not recorded). It holds what undoing the commit needs
 * (a replaced version kept aside, the objects created), so a store keeps no per-path state between the two steps.
 *
 * ```kotlin
 * val pending = store.commit("e03", files, { entries -> encode(entries) }, hook)
 * try { writeManifestListing("e03", sha256(pending.metadata)) } catch (e: IOException) { pending.abandon(e); throw e }
 * pending.finish()
 * ```
 */
@InternalCkptApi
public interface PendingCommit {
    /** The bytes of the `checkpoint.json` written. */
    public val metadata: ByteArray

    /**
     * The manifest recorded the commit: drops what was kept to undo it (the replaced version). It does not throw: a
     * removal that fails is warned about and left to the next writer's recovery.
     */
    public fun finish()

    /** The manifest could not record the commit: removes it and puts back what it replaced; failures join [failure] as suppressed. */
    public fun abandon(failure: Exception)
}

/**
 * One model file of a checkpoint: its path inside the checkpoint and a source of its bytes, produced when written.
 *
 * [rawDigest], when given, digests what determines the bytes (a variable's raw floats) far more cheaply than
 * producing them: [RunWriter] compares it with the previous commit's to set [reuse], and a store that can then links
 * or copies that file instead of calling [bytes]. A store that cannot ignores [reuse] and writes [bytes].
 */
@InternalCkptApi
public class CheckpointFile(
    public val path: String,
    public val rawDigest: (() -> String)? = null,
    /** The same file in the run's previous committed checkpoint, holding exactly the bytes [bytes] would produce. */
    public val reuse: ReusedFile? = null,
    public val bytes: () -> ByteArray,
) {
    /** This file, to be taken from [source] rather than written. */
    public fun reusing(source: ReusedFile): CheckpointFile = CheckpointFile(path, rawDigest, source, bytes)

    override fun toString(): String = "CheckpointFile($path)"
}

/**
 * The points of the commit, release and recovery protocols; tests inject crashes and faults before each. The
 * rename protocol goes CREATE_TEMP, WRITE_FILES, WRITE_METADATA, SYNC_TEMP, [MOVE_OLD_ASIDE], MOVE_INTO_PLACE,
 * SYNC_PARENT, WRITE_MANIFEST_TEMP, MOVE_MANIFEST, [DELETE_BACKUP]; the marker protocol WRITE_MARKER, WRITE_FILES,
 * WRITE_METADATA, PUT_MANIFEST, [DELETE_BACKUP] (the replaced version), DELETE_MARKER. Releases: DELETE_FILES.
 */
@InternalCkptApi
public enum class StorageStep {
    CREATE_TEMP,
    WRITE_MARKER,
    WRITE_FILES,
    WRITE_METADATA,
    SYNC_TEMP,
    MOVE_OLD_ASIDE,
    MOVE_INTO_PLACE,
    SYNC_PARENT,
    WRITE_MANIFEST_TEMP,
    MOVE_MANIFEST,
    PUT_MANIFEST,
    DELETE_BACKUP,
    DELETE_MARKER,
    DELETE_FILES,
}

package dev.ckpt.storage

import dev.ckpt.InternalCkptApi
import dev.ckpt.CheckpointKind
import dev.ckpt.core.engine.CheckpointRecord
import dev.ckpt.core.engine.EngineState
import dev.ckpt.core.monitor.Direction
import dev.ckpt.core.policy.CheckpointPolicy
import kotlinx.serialization.EncodeDefault
import kotlinx.serialization.ExperimentalSerializationApi
import kotlinx.serialization.SerialName
import kotlinx.serialization.Serializable
import kotlinx.serialization.json.JsonElement
import java.time.Instant

/** The version of `manifest.json` and `checkpoint.json` this ckpt writes; it reads this one and 1. */
@InternalCkptApi
public const val FORMAT_VERSION: Int = 2

@InternalCkptApi
public const val MANIFEST_FILE: String = "manifest.json"
@InternalCkptApi
public const val LOCK_FILE: String = "run.lock"
@InternalCkptApi
public const val METADATA_FILE: String = "checkpoint.json"

/**
 * The facts of one checkpoint, recorded twice in the same shape: in its own `checkpoint.json`, and in the run
 * manifest's entry for it (so listing a run reads one file).
 */
@Serializable
@InternalCkptApi
public data class CheckpointFacts(
    /** Weights only or full model. */
    @Serializable(with = CheckpointKindSerializer::class)
    public val kind: CheckpointKind,
    /** 1-based epoch the checkpoint was taken in. */
    public val epoch: Int,
    /** 1-based batch within the epoch, or null for an epoch-end save. */
    public val batch: Int?,
    /** Global step (training batches since the run began). */
    public val step: Long,
    /** Logged metrics at save time. */
    public val metrics: Map<String, @Serializable(with = MetricValueSerializer::class) Double>,
    /** Name of the monitored metric, or null. */
    public val monitor: String?,
    /** Value of the monitored metric (what keep-best ranks by), or null when it was not logged. */
    @Serializable(with = MetricValueSerializer::class)
    public val monitorValue: Double?,
    /** Whether the engine marked it the new best when it was saved. */
    public val best: Boolean,
    /** When the save was decided, by the engine's clock (the callback's `clock`); keep-one-per measures it. */
    @Serializable(with = InstantSerializer::class)
    public val createdAt: Instant,
    /** The KotlinDL model class a full checkpoint rebuilds (`Sequential`, `Functional`), or null when not recorded. */
    public val modelClass: String? = null,
    /**
     * The training data a batch-level checkpoint sits in, when `CheckpointCallback.fit` trained it (null otherwise):
     * resuming inside an epoch checks it before skipping the batches the checkpoint already holds.
     */
    public val data: DataFacts? = null,
) {
    init {
        require(epoch >= 0) { "epoch must be >= 0, got $epoch" }
        require(step >= 0) { "step must be >= 0, got $step" }
        require(batch == null || batch >= 0) { "batch must be null or >= 0, got $batch" }
        require(metrics.keys.none { it.isBlank() }) { "metric names must not be blank, got ${metrics.keys}" }
    }

    /** The engine's record of this checkpoint at [path]: the one conversion from what a run stores to what the engine keeps. */
    internal fun record(path: String): CheckpointRecord = CheckpointRecord(path, epoch, batch, step, metrics, monitorValue, createdAt)

    public companion object {
        /** What `checkpoint.json` records of the engine's [record], a checkpoint of [kind] (of [modelClass]) monitoring [monitor]. */
        internal fun of(record: CheckpointRecord, monitor: String, best: Boolean, kind: CheckpointKind, modelClass: String?, data: DataFacts?): CheckpointFacts =
            CheckpointFacts(
                kind = kind, epoch = record.epoch(), batch = record.batch(), step = record.step(), metrics = record.metrics(),
                monitor = monitor, monitorValue = record.monitorValue(), best = best, createdAt = record.createdAt(),
                modelClass = modelClass, data = data,
            )
    }
}

/**
 * The training data of the epoch a checkpoint was saved in: how many examples, in batches of how many, and a
 * fingerprint of their order. A resume inside that epoch skips its first batches, which is exact only for the same
 * examples in the same order and the same batch size.
 */
@Serializable
@InternalCkptApi
public data class DataFacts(
    /** Training examples per epoch. */
    public val examples: Int,
    /** Examples per training batch. */
    public val batchSize: Int,
    /** Fingerprint of the examples in their training order (`dev.ckpt.kotlindl.DataFingerprint`). */
    public val fingerprint: String,
) {
    init {
        require(examples >= 0) { "data.examples must be >= 0, got $examples" }
        require(batchSize >= 1) { "data.batchSize must be >= 1, got $batchSize" }
    }

    override fun toString(): String = "$examples examples in batches of $batchSize (fingerprint $fingerprint)"
}

/**
 * The content of a checkpoint's `checkpoint.json`, written last: its facts and a checksum of every other file.
 * Metric values JSON cannot express are stored as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
 */
@Serializable
@InternalCkptApi
public data class CheckpointMetadata(
    public val formatVersion: Int = FORMAT_VERSION,
    /** The run that wrote it (null in format 1): tells a committed-but-unrecorded checkpoint of this run from a stranger. */
    public val runId: String?,
    public val facts: CheckpointFacts,
    /** Every other file of the checkpoint, sorted by path. */
    public val files: List<FileEntry>,
) {
    init {
        val paths = HashSet<String>()
        for (file in files) {
            require(paths.add(file.path)) { "files lists \"${file.path}\" twice" }
            require(file.path != METADATA_FILE) { "files must not list $METADATA_FILE itself" }
        }
    }
}

/** One file of a checkpoint as `checkpoint.json` records it. */
@Serializable
@InternalCkptApi
public data class FileEntry(
    /** Path relative to the checkpoint directory, `/`-separated. */
    public val path: String,
    public val size: Long,
    /** SHA-256 of the content, lowercase hex. */
    public val sha256: String,
) {
    init {
        RelativePaths.require(path, "file path")
        require(size >= 0) { "size of \"$path\" must be >= 0, got $size" }
        require(SHA256_HEX.matches(sha256)) { "sha256 of \"$path\" must be 64 lowercase hex digits, got \"$sha256\"" }
    }
}

/** A checkpoint as the manifest lists it: where, which `checkpoint.json` exactly, and its facts. */
@Serializable
@InternalCkptApi
public data class ManifestEntry(
    /** Checkpoint directory relative to the run directory, `/`-separated. */
    public val path: String,
    /** SHA-256 of its `checkpoint.json`: ties the entry to exactly that file. */
    public val checkpointSha256: String,
    public val facts: CheckpointFacts,
) {
    init {
        checkpointPathProblem(path)?.let { throw IllegalArgumentException("checkpoint path \"$path\" $it") }
        require(SHA256_HEX.matches(checkpointSha256)) {
            "checkpointSha256 of \"$path\" must be 64 lowercase hex digits, got \"$checkpointSha256\""
        }
    }
}

/**
 * What a resumed run continues from: the decision engine's counters and best value at the latest commit, as the
 * manifest stores them. The list of checkpoints is not repeated here; the manifest's entries are that list. This is
 * the one codec between the engine's [EngineState] and its stored form: [of] and [toEngineState] one way each,
 * [toJson] and [of] (JSON) for the manifest.
 */
@Serializable
internal data class StoredEngineState(
    val currentEpoch: Int,
    val completedEpochs: Int,
    val lastBatchSeen: Int,
    val batchesSinceSave: Long,
    val globalStep: Long,
    @Serializable(with = MetricValueSerializer::class)
    val best: Double?,
    val intervalAnchorMillis: Long?,
) {
    fun toJson(): JsonElement = StorageJson.encodeToJsonElement(serializer(), this)

    /** @throws IllegalArgumentException when the counters are out of range (a damaged manifest) */
    fun toEngineState(): EngineState =
        EngineState(currentEpoch, completedEpochs, lastBatchSeen, batchesSinceSave, globalStep, best, intervalAnchorMillis)

    companion object {
        /** @throws IllegalArgumentException naming `engineState` when [element] is not an engine state */
        fun of(element: JsonElement, manifest: String): StoredEngineState = try {
            StorageJson.decodeFromJsonElement(serializer(), element)
        } catch (e: kotlinx.serialization.SerializationException) {
            throw IllegalArgumentException("$manifest: engineState is not readable: ${e.message?.lineSequence()?.first()}", e)
        }

        fun of(state: EngineState): StoredEngineState = StoredEngineState(
            state.currentEpoch(), state.completedEpochs(), state.lastBatchSeen(), state.batchesSinceSave(), state.globalStep(),
            state.best(), state.intervalAnchorMillis(),
        )
    }
}

/**
 * `manifest.json`: the single owner of a run's list of checkpoints. [checkpoints] are the committed ones
 * (oldest first); [releasing] those retention let go whose files may still be on disk: a commit moves them
 * there in the same write that adds the new checkpoint, their files are deleted after it, and the next
 * write (or the next writer's open) drops them once their files are gone.
 */
@OptIn(ExperimentalSerializationApi::class)
@Serializable
@InternalCkptApi
public data class Manifest(
    public val formatVersion: Int = FORMAT_VERSION,
    /** Random id of the run, also written into each of its `checkpoint.json` files. */
    public val runId: String,
    /**
     * The decision settings of the checkpoint policy that last wrote the run (`CheckpointPolicy.fingerprint()`:
     * the settings as text, not a hash). Stored as `policyFingerprint`, the name format 2 published.
     */
    @SerialName("policyFingerprint")
    public val policySettings: String,
    public val best: String? = null,
    public val latest: String? = null,
    public val checkpoints: List<ManifestEntry> = emptyList(),
    public val releasing: List<ManifestEntry> = emptyList(),
    /**
     * A [StoredEngineState], kept as raw JSON so that only resuming depends on it: a damaged engine state stops a
     * resume with a clear error, but never keeps anyone from listing, verifying or restoring the run.
     */
    public val engineState: JsonElement? = null,
    /**
     * The writer that claimed the run last, on stores that claim a run by rewriting its manifest (object stores,
     * [RunStore.claimsRunInManifest]); absent elsewhere. Its random token makes every writer's manifest unique, so
     * that a conditional write of a writer that was taken over can never match.
     */
    @EncodeDefault(EncodeDefault.Mode.NEVER)
    public val writer: WriterClaim? = null,
    /**
     * The run's resume point: one full checkpoint of the newest committed state, apart from [checkpoints] (never
     * best, never latest, never counted by retention). Present only when it is newer than every listed checkpoint:
     * a later checkpoint's commit moves it to [releasing]. Absent from the JSON when null, so a run that never had
     * one reads as before.
     */
    @EncodeDefault(EncodeDefault.Mode.NEVER)
    public val resumePoint: ManifestEntry? = null,
) {
    init {
        val paths = checkpoints.map { it.path }
        val all = paths + releasing.map { it.path } + listOfNotNull(resumePoint?.path)
        for ((i, a) in all.withIndex()) {
            for (b in all.subList(i + 1, all.size)) {
                require(!RelativePaths.overlaps(a, b)) {
                    if (a == b) "\"$a\" is listed twice" else "checkpoints \"$a\" and \"$b\" are nested in each other"
                }
            }
        }
        require(best == null || best in paths) { "best \"$best\" is not one of the checkpoints $paths" }
        require(latest == null || latest in paths) { "latest \"$latest\" is not one of the checkpoints $paths" }
    }

    public fun entry(path: String): ManifestEntry? = checkpoints.firstOrNull { it.path == path }

    /** The committed state a resumed run continues from: the resume point when there is one, else the latest checkpoint. */
    public fun newest(): ManifestEntry? = resumePoint ?: latest?.let { entry(it) }

    /** Every committed checkpoint directory the manifest owns: the listed ones and the resume point. */
    public val owned: List<ManifestEntry> get() = checkpoints + listOfNotNull(resumePoint)

    /**
     * Which way the run's monitor improves, as its policy settings record it (`direction`, resolved from the mode
     * when the run was written), or null when they do not record one (settings written by another tool).
     */
    public val monitorDirection: Direction?
        get() = CheckpointPolicy.settingsOf(policySettings)["direction"]?.let { name -> Direction.entries.firstOrNull { it.name == name } }
}

/** Who writes a run on an object store: the owner text shown to others, and a random token unique to the writer. */
@Serializable
@InternalCkptApi
public data class WriterClaim(public val owner: String, public val token: String)

internal val SHA256_HEX: Regex = Regex("[0-9a-f]{64}")

/** Why [path] cannot name a checkpoint directory inside a run, or null when it can. */
@InternalCkptApi
public fun checkpointPathProblem(path: String): String? {
    RelativePaths.problem(path)?.let { return it }
    val segments = RelativePaths.segments(path)
    if (segments.first() == MANIFEST_FILE || segments.first() == LOCK_FILE || segments.first() == HISTORY_FILE) {
        return "uses the name \"${segments.first()}\", which ckpt reserves at the run root"
    }
    if (segments.any { Leftovers.parse(it) != null }) {
        return "uses a name of the form .<name>.ckpt-tmp-<hex>, .<name>.ckpt-bak-<hex> or .<name>.ckpt-ver-<hex>, which ckpt " +
            "reserves for its temporary files and stored versions"
    }
    return null
}

@InternalCkptApi
public const val HISTORY_FILE: String = "history.jsonl"

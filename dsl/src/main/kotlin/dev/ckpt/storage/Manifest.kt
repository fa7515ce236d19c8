package dev.ckpt.storage

import kotlinx.serialization.Serializable
import kotlinx.serialization.json.JsonElement
import java.time.Instant

/**
 * The content of a run's `manifest.json`: the single source of truth for which checkpoints exist,
 * which one is the best and which the latest, and the engine state a resumed run continues from.
 *
 * ```kotlin
 * val manifest = RunReader.open(Path.of("runs/digits")).manifest
 * println("best: ${manifest.best}, latest: ${manifest.latest}, ${manifest.checkpoints.size} kept")
 * ```
 *
 * It deliberately holds no decisions: best, latest and the engine state are recorded as the caller
 * reported them; ckpt never infers them from file names or modification times.
 */
@Serializable
public data class Manifest(
    /** Version of this file's format; this ckpt reads and writes 1. */
    public val formatVersion: Int = FORMAT_VERSION,
    /** Fingerprint of the checkpoint policy that wrote the run (opaque to storage). */
    public val policyFingerprint: String,
    /** Path of the best checkpoint, relative to the run directory, or null. */
    public val best: String? = null,
    /** Path of the most recently committed checkpoint still kept, or null. */
    public val latest: String? = null,
    /** The kept checkpoints, oldest commit first. */
    public val checkpoints: List<ManifestEntry> = emptyList(),
    /** The engine's state after the last commit or update (opaque to storage), or null. */
    public val engineState: JsonElement? = null,
) {
    init {
        require(formatVersion == FORMAT_VERSION) { "formatVersion must be $FORMAT_VERSION, got $formatVersion" }
        val paths = checkpoints.map { it.path }
        for ((i, a) in paths.withIndex()) {
            for (b in paths.subList(i + 1, paths.size)) {
                require(!RelativePaths.overlaps(a, b)) {
                    if (a == b) "checkpoints lists \"$a\" twice" else "checkpoints \"$a\" and \"$b\" are nested in each other"
                }
            }
        }
        require(best == null || best in paths) { "best \"$best\" is not one of the checkpoints $paths" }
        require(latest == null || latest in paths) { "latest \"$latest\" is not one of the checkpoints $paths" }
    }

    /** The entry recorded for [path], or null. */
    public fun entry(path: String): ManifestEntry? = checkpoints.firstOrNull { it.path == path }
}

/**
 * One checkpoint as the run manifest records it.
 *
 * ```kotlin
 * manifest.checkpoints.filter { it.kind == CheckpointKind.FULL }.maxByOrNull { it.step }
 * ```
 *
 * It deliberately does not list the checkpoint's files: `checkpoint.json` does, and [checkpointSha256]
 * ties this entry to exactly that file.
 */
@Serializable
public data class ManifestEntry(
    /** Checkpoint directory relative to the run directory, `/`-separated. */
    public val path: String,
    /** Weights only or full model. */
    public val kind: CheckpointKind,
    /** Epoch the checkpoint was taken at. */
    public val epoch: Int,
    /** Batch within the epoch, or null for an epoch-end save. */
    public val batch: Int?,
    /** Global step. */
    public val step: Long,
    /** Logged metrics at save time. */
    public val metrics: Map<String, @Serializable(with = MetricValueSerializer::class) Double>,
    /** Name of the monitored metric, or null. */
    public val monitor: String?,
    /** Value of the monitored metric in this checkpoint (what keep-best-K ranks by), or null. */
    @Serializable(with = MetricValueSerializer::class)
    public val monitorValue: Double?,
    /** When the checkpoint was committed. */
    @Serializable(with = InstantSerializer::class)
    public val createdAt: Instant,
    /** SHA-256 (lowercase hex) of the checkpoint's `checkpoint.json`. */
    public val checkpointSha256: String,
) {
    init {
        checkpointPathProblem(path)?.let { throw IllegalArgumentException("checkpoint path \"$path\" $it") }
        require(epoch >= 0) { "epoch of \"$path\" must be >= 0, got $epoch" }
        require(step >= 0) { "step of \"$path\" must be >= 0, got $step" }
        require(batch == null || batch >= 0) { "batch of \"$path\" must be null or >= 0, got $batch" }
        require(SHA256_HEX.matches(checkpointSha256)) {
            "checkpointSha256 of \"$path\" must be 64 lowercase hex digits, got \"$checkpointSha256\""
        }
    }
}

internal const val MANIFEST_FILE: String = "manifest.json"
internal const val LOCK_FILE: String = "run.lock"

/** Why [path] cannot name a checkpoint directory inside a run, or null when it can. */
internal fun checkpointPathProblem(path: String): String? {
    RelativePaths.problem(path)?.let { return it }
    val segments = RelativePaths.segments(path)
    if (segments.first() == MANIFEST_FILE || segments.first() == LOCK_FILE) {
        return "uses the name \"${segments.first()}\", which ckpt reserves at the run root"
    }
    if (segments.any { Leftovers.parse(it) != null }) {
        return "uses a name of the form .<name>.ckpt-tmp-<hex> or .<name>.ckpt-bak-<hex>, which ckpt reserves for its temporary files"
    }
    return null
}

package dev.ckpt

import dev.ckpt.core.monitor.Direction
import java.io.IOException

/**
 * Whether a run is being written, as [Checkpoints.runs] saw it.
 *
 * ```kotlin
 * Checkpoints.runs("runs/sweep").all.filter { it.state == RunState.TRAINING }.forEach { println(it.path) }
 * ```
 *
 * It deliberately has no "finished": a run's manifest does not record whether its training ran to the last epoch
 * or was stopped, so ckpt does not guess; both are [STOPPED].
 */
public enum class RunState {
    /**
     * A writer holds the run: its `run.lock` is locked (a local run), or on S3 a lease is live or a checkpoint commit
     * is in progress. Its manifest may change while you read it; it is never shown as [DAMAGED] for that.
     */
    TRAINING,

    /** No writer holds the run: its training ended, was stopped, or crashed. */
    STOPPED,

    /** Its `manifest.json` cannot be read (malformed, unsupported, unsafe): [RunSummary.problem] says why. */
    DAMAGED,
}

/**
 * One run found by [Checkpoints.runs], read from its `manifest.json` only: where it is, what it monitors, its best
 * and latest checkpoint, and whether it is being written.
 *
 * ```kotlin
 * val run = Checkpoints.runs("runs/sweep").best()
 * println("${run.path}: ${run.monitor} ${run.bestValue} at ${run.bestLocation}")
 * val model = run.open().best().loadModel { it.compile(Adam(), Losses.SOFT_MAX_CROSS_ENTROPY_WITH_LOGITS, Metrics.ACCURACY) }
 * ```
 *
 * A snapshot of the manifest when listed; it deliberately opens no checkpoint (nothing is verified: [open] and
 * [Checkpoints.verify] do that).
 */
public class RunSummary internal constructor(
    /** The run's path relative to the listed root, `/`-separated; `.` when the root itself is the run. */
    public val path: String,
    /** The run: a local directory, or an `s3://` location. */
    public val location: String,
    /** Training, stopped or damaged. */
    public val state: RunState,
    /** The monitored metric the run's policy recorded, or null when it has none (or is damaged). */
    public val monitor: String?,
    /** Which way [monitor] improves, or null when the policy recorded no direction. */
    public val direction: Direction?,
    /** The monitored value of the best checkpoint, or null when none is marked best. */
    public val bestValue: Double?,
    /** The best checkpoint's path in the run, or null when none is marked best. */
    public val bestPath: String?,
    /** The best checkpoint's location (local directory or `s3://`), or null when none is marked best. */
    public val bestLocation: String?,
    /** The epoch of the run's newest committed state (the latest checkpoint or the resume point), or null when none. */
    public val latestEpoch: Int?,
    /** The global step of that state, or null when none. */
    public val latestStep: Long?,
    /** How many checkpoints the manifest lists (not counting a resume point). */
    public val checkpoints: Int,
    /** Why the run is [RunState.DAMAGED] (names the file), or null. */
    public val problem: String?,
    /** Who holds a [RunState.TRAINING] run, as the writer recorded it, when known. */
    public val writer: String?,
) {
    /**
     * Opens the run, as [Checkpoints.open] does.
     *
     * @throws CorruptRunException when its manifest is malformed or unsafe
     */
    @Throws(IOException::class)
    public fun open(): Checkpoints = Checkpoints.open(location)

    override fun toString(): String =
        "RunSummary($path, $state" + (monitor?.let { ", $it ${direction ?: ""} best $bestValue" } ?: "") + (problem?.let { ", $it" } ?: "") + ")"
}

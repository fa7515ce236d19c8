package dev.ckpt

import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.storage.RunStore
import dev.ckpt.storage.RunStores
import java.nio.file.Path
import java.time.Clock
import java.time.Duration

/**
 * The callback settings of [CheckpointOptions] that are not part of the decision policy, fixed when the callback is
 * made. It has no defaults of its own: [CheckpointOptions] holds them.
 */
internal class CallbackOptions(
    val resume: Boolean,
    val directory: Path,
    val clock: Clock,
    val onSaveError: SaveErrorAction,
    val listener: CheckpointListener?,
    val async: Boolean,
    /** Signals that stop training at the next batch end (with `resume = true`). */
    val stopOn: Set<StopSignal>,
    /** How long a stop signal's shutdown waits for the stop's commit. */
    val stopDeadline: Duration,
) {
    init {
        require(!stopDeadline.isNegative && !stopDeadline.isZero) { "stopDeadline: must be positive, got $stopDeadline" }
    }

    /**
     * The storage of [policy]'s run, chosen by [RunStores]: an `s3://bucket/prefix` run directory is a run on S3
     * (the marker protocol, from `ckpt-s3`); any other is resolved against [directory], on that directory's file
     * system (the rename protocol).
     */
    fun store(policy: CheckpointPolicy): RunStore = withFilepath(policy) { RunStores.open(policy.runDirectory(), directory) }

    fun location(policy: CheckpointPolicy): String = withFilepath(policy) { RunStores.location(policy.runDirectory(), directory) }

    /** A bad run location is a bad filepath: the message names the filepath the user wrote. */
    private fun <T> withFilepath(policy: CheckpointPolicy, block: () -> T): T = try {
        block()
    } catch (e: IllegalArgumentException) {
        throw IllegalArgumentException("filepath \"${policy.filepath().source()}\": ${e.message}", e)
    }
}

package dev.ckpt

import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.storage.FileRunStore
import dev.ckpt.storage.RunStore
import dev.ckpt.storage.S3Location
import dev.ckpt.storage.S3Support
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
     * The storage of [policy]'s run: an `s3://bucket/prefix` run directory is a run on S3 (the marker protocol);
     * any other is resolved against [directory], on that directory's file system (the rename protocol).
     */
    fun store(policy: CheckpointPolicy): RunStore {
        val run = policy.runDirectory()
        return if (S3Location.isS3(run)) S3Support.store(s3Run(policy)) else FileRunStore(directory.resolve(run))
    }

    fun location(policy: CheckpointPolicy): String {
        val run = policy.runDirectory()
        return if (S3Location.isS3(run)) s3Run(policy) else FileRunStore(directory.resolve(run)).location
    }

    /** The `s3://` run of [policy]: its filepath's fixed leading part, which must name a bucket. */
    private fun s3Run(policy: CheckpointPolicy): String = try {
        S3Location.parse(policy.runDirectory()).toString()
    } catch (e: IllegalArgumentException) {
        throw IllegalArgumentException("filepath \"${policy.filepath().source()}\": ${e.message}", e)
    }
}

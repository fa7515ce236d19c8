package dev.ckpt

import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.storage.FileRunStore
import dev.ckpt.storage.RunStore
import java.nio.file.Path
import java.time.Clock

/** Callback settings that are not part of the decision policy. */
internal class CallbackOptions(
    val resume: Boolean,
    val directory: Path,
    val clock: Clock,
    val onSaveError: SaveErrorAction,
    val listener: CheckpointListener?,
    val async: Boolean,
) {
    /** The storage of [policy]'s run: its run directory resolved against [directory]. */
    fun store(policy: CheckpointPolicy): RunStore = FileRunStore(directory.resolve(policy.runDirectory()))

    fun location(policy: CheckpointPolicy): String = store(policy).location
}

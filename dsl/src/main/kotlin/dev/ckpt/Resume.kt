package dev.ckpt

import dev.ckpt.core.engine.CheckpointEngine
import dev.ckpt.core.engine.RunCheckpoints
import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.storage.Manifest
import dev.ckpt.storage.RunWriter
import dev.ckpt.storage.StoredEngineState
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import java.io.IOException

/**
 * Starting or resuming the decision engine of a run. Resuming rebuilds the engine from the manifest alone: its
 * entries are the engine's list of checkpoints, its stored engine state the counters and the best value; the
 * policy must decide as the run's did, and the latest checkpoint goes into the model.
 */
internal object Resume {
    fun engineFor(policy: CheckpointPolicy, options: CallbackOptions, writer: RunWriter, model: GraphTrainableModel, messages: Messages): CheckpointEngine {
        val manifest = writer.manifest
        val storedJson = manifest.engineState
        if (options.resume && storedJson != null) {
            checkCompatible(policy, manifest, writer.location)
            val state = StoredEngineState.of(storedJson, writer.location + "/manifest.json").toEngineState()
            restoreLatest(writer, model, messages)
            return CheckpointEngine.resume(policy, state, checkpoints(manifest), options.clock)
        }
        check(options.resume || manifest.owned.isEmpty()) {
            "run ${writer.location} already holds a run with ${manifest.checkpoints.size} checkpoint(s) " +
                "(latest: ${manifest.latest}, best: ${manifest.best}); set resume = true to continue it, or choose another directory"
        }
        return CheckpointEngine.start(policy, options.clock)
    }

    /** The manifest's checkpoints as the engine keeps them. */
    fun checkpoints(manifest: Manifest): RunCheckpoints = RunCheckpoints(
        manifest.checkpoints.map { it.facts.record(it.path) },
        manifest.best,
        manifest.latest,
    )

    private fun checkCompatible(policy: CheckpointPolicy, manifest: Manifest, location: String) {
        val differences = policy.describeDifferences(manifest.policySettings)
        require(differences.isEmpty()) {
            "resume: the run in $location was written with a policy that decides differently:\n  " +
                differences.joinToString("\n  ") +
                "\nresume with the run's settings, or start a new run in another directory"
        }
    }

    /**
     * Loads the newest committed state into [model] — the resume point, or else the latest checkpoint — with the
     * optimizer state of a full one, refusing one that does not verify. The manifest's engine state is that commit's.
     */
    private fun restoreLatest(writer: RunWriter, model: GraphTrainableModel, messages: Messages) {
        val reader = writer.reader()
        val latest = reader.manifest.newest() ?: return
        val status = reader.verify(latest)
        if (status != CheckpointStatus.Ok) {
            val what = if (latest.path == reader.manifest.resumePoint?.path) "resume point" else "latest checkpoint"
            throw IOException("resume: the $what ${latest.path} in ${writer.location} does not verify ($status); refusing to resume from it")
        }
        val full = latest.facts.kind == CheckpointKind.FULL
        if (!full) {
            messages.warn("resume: ${latest.path} holds weights only; the optimizer starts from scratch (save full checkpoints to resume exactly)")
        }
        Checkpoint(reader, latest, latest.path == reader.manifest.best)
            .loadWeightsInto(model, *listOfNotNull(LoadOption.WITH_OPTIMIZER_STATE.takeIf { full }, LoadOption.ALLOW_CORRUPT).toTypedArray())
        val restored = if (latest.path == reader.manifest.resumePoint?.path) "the resume point " else ""
        messages.info("resume: restored $restored${latest.path} (epoch ${latest.facts.epoch}${latest.facts.batch?.let { ", batch $it" } ?: ""}, step ${latest.facts.step})")
    }
}

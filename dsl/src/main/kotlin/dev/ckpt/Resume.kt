package dev.ckpt

import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.kotlindl.NativeFormatReader
import dev.ckpt.storage.CheckpointKind
import dev.ckpt.storage.CheckpointStatus
import dev.ckpt.storage.Manifest
import dev.ckpt.storage.RunWriter
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.slf4j.LoggerFactory
import java.io.IOException
import java.nio.file.Path

/** Resuming a run: the policy must decide as the run's did, and the latest checkpoint goes into the model. */
internal object Resume {
    private val log = LoggerFactory.getLogger("dev.ckpt")

    internal fun checkCompatible(policy: CheckpointPolicy, manifest: Manifest, root: Path) {
        val differences = policy.describeDifferences(manifest.policyFingerprint)
        require(differences.isEmpty()) {
            "resume: the run in $root was written with a policy that decides differently:\n  " +
                differences.joinToString("\n  ") +
                "\nresume with the run's settings, or start a new run in another directory"
        }
    }

    /**
     * Finishes the retention a crashed run decided but did not carry out. A commit records the new checkpoint
     * and the engine state (which no longer holds the checkpoints it released) in one manifest write; the
     * released checkpoints are deleted after it. A crash in between leaves them listed, and since the engine
     * has let them go nothing would ever delete them. Only listed checkpoints are deleted, never the best or
     * the latest, through the same fenced [RunWriter.delete] as ordinary retention.
     */
    internal fun finishReleases(writer: RunWriter, retained: Collection<String>) {
        val manifest = writer.manifest
        val keep = retained.toSet()
        for (entry in manifest.checkpoints) {
            if (entry.path in keep || entry.path == manifest.best || entry.path == manifest.latest) continue
            writer.delete(entry.path)
            log.info("resume: deleted ${entry.path}, which retention released before the previous run stopped")
        }
    }

    /** Loads the latest checkpoint into [model], refusing one that does not verify. */
    internal fun restoreLatest(writer: RunWriter, model: GraphTrainableModel, root: Path) {
        val latest = writer.reader().latest() ?: return
        val status = latest.verify()
        if (status != CheckpointStatus.Ok) {
            throw IOException("resume: the latest checkpoint ${latest.path} in $root does not verify ($status); refusing to resume from it")
        }
        val full = latest.entry.kind == CheckpointKind.FULL
        if (!full) {
            log.warn("resume: ${latest.path} holds weights only; the optimizer starts from scratch (save full checkpoints to resume exactly)")
        }
        NativeFormatReader.loadWeightsInto(model, latest.directory, full)
        log.info("resume: restored ${latest.path} (epoch ${latest.entry.epoch}, step ${latest.entry.step})")
    }
}

package dev.ckpt

import dev.ckpt.core.monitor.Direction
import dev.ckpt.core.policy.Retention
import dev.ckpt.storage.Manifest
import dev.ckpt.storage.RunReader
import dev.ckpt.storage.RunStore
import dev.ckpt.storage.RunWriter
import java.io.IOException
import java.time.Clock
import java.time.Instant

/**
 * [Checkpoints.prune]: the core's retention ([dev.ckpt.core.engine.RunCheckpoints.releasedBy]) applied to a
 * run's manifest, carried out by the run's writer with the same release protocol as training.
 */
internal object Pruning {
    fun prune(store: RunStore, retention: Retention, dryRun: Boolean): PruneReport {
        val reader = RunReader.open(store) // no run, or a damaged manifest: the same errors as Checkpoints.open
        require(!retention.keepsAll()) {
            "retention: prune needs a rule that releases something, got ${retention.summary()}; set keepBest, keepLast, keepEveryNthEpoch or keepOnePer"
        }
        if (dryRun) return plan(reader, retention, dryRun = true, errors = emptyList())
        val owner = "ckpt prune, pid ${ProcessHandle.current().pid()} (user ${System.getProperty("user.name")}), since ${Instant.now()}"
        RunWriter.open(store, reader.manifest.policySettings, Clock.systemUTC(), owner).use { writer ->
            val planned = plan(writer.reader(), retention, dryRun = false, errors = emptyList())
            val errors = writer.releaseNow(planned.released).map { it.message ?: it.toString() }
            return PruneReport(planned.location, planned.released, planned.kept, planned.releasedBytes, planned.dryRun, errors)
        }
    }

    private fun plan(reader: RunReader, retention: Retention, dryRun: Boolean, errors: List<String>): PruneReport {
        val manifest = reader.manifest
        val released = Resume.checkpoints(manifest).releasedBy(retention, direction(manifest, retention, reader.store.location))
            .map { it.path }.toSet()
        val bytes = manifest.checkpoints.filter { it.path in released }.sumOf { entry ->
            try {
                reader.storedMetadata(entry).let { stored -> stored.size + stored.metadata.files.sumOf { it.size } }
            } catch (e: IOException) {
                0L
            }
        }
        return PruneReport(
            location = reader.store.location,
            released = manifest.checkpoints.map { it.path }.filter { it in released },
            kept = manifest.checkpoints.map { it.path }.filter { it !in released },
            releasedBytes = bytes,
            dryRun = dryRun,
            errors = errors,
        )
    }

    /** Keep-best ranks in the direction the run's policy recorded; the other rules do not need one. */
    private fun direction(manifest: Manifest, retention: Retention, location: String): Direction {
        manifest.monitorDirection?.let { return it }
        require(retention.keepBest() == null) {
            "keepBest: ranks checkpoints by the monitored metric, but run $location does not record which way its " +
                "monitor improves (the policyFingerprint of its manifest.json names no direction MIN or MAX); use keepLast instead"
        }
        return Direction.MIN // unused: no rule ranks
    }
}

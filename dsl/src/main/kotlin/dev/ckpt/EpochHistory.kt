package dev.ckpt

import dev.ckpt.storage.HistoryLine
import dev.ckpt.storage.RunWriter
import java.io.IOException
import java.time.Clock
import java.time.Instant

/**
 * Records each epoch end in the run's `history.jsonl` (on the training thread: one small line, appended and
 * flushed), with the checkpoints saved during the epoch. A save counts once it is decided, and stops counting if
 * its write is reported failed before the epoch ends.
 */
internal class EpochHistory(private val writer: RunWriter, private val clock: Clock) {
    private val saved = ArrayList<String>()

    /** A save of [path] (relative to the run) was decided. */
    fun saving(path: String) {
        saved += path
    }

    /** The save of [path] failed. */
    fun notSaved(path: String) {
        saved.remove(path)
    }

    /** Appends the epoch's line; returns the failure instead of throwing it, for the caller's error policy. */
    fun epochEnded(epoch: Int, step: Long, logs: Map<String, Double>): IOException? = try {
        writer.appendHistory(HistoryLine(epoch, step, logs, saved.toList(), Instant.now(clock)))
        null
    } catch (e: IOException) {
        IOException("recording epoch $epoch in ${writer.location}/history.jsonl failed: ${e.message}", e)
    } finally {
        saved.clear()
    }
}

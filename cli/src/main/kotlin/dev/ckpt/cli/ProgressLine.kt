package dev.ckpt.cli

import java.io.PrintWriter
import java.util.Locale
import java.util.concurrent.Executors
import java.util.concurrent.ScheduledExecutorService
import java.util.concurrent.TimeUnit

/**
 * A one-line progress bar on stderr (`verifying [#######.............]  3/8 checkpoints  0:04`), drawn only once
 * the work has taken longer than [delayMillis], redrawn every [periodMillis] and at each step, and erased when
 * done, so that quick commands and output captured in files stay clean.
 *
 * It deliberately writes nothing when not [enabled] (stderr is not a terminal, or `--no-progress`).
 */
internal class ProgressLine(
    private val err: PrintWriter,
    private val label: String,
    private val unit: String,
    private val total: Int,
    private val enabled: Boolean,
    private val delayMillis: Long = 500,
    private val periodMillis: Long = 200,
) : AutoCloseable {
    private val started = System.nanoTime()
    private var done = 0
    private var drawn = 0 // length of the line on screen, 0 when none
    private val ticker: ScheduledExecutorService? = if (enabled) {
        Executors.newSingleThreadScheduledExecutor { r -> Thread(r, "ckpt-progress").apply { isDaemon = true } }.also {
            it.scheduleAtFixedRate({ draw() }, delayMillis, periodMillis, TimeUnit.MILLISECONDS)
        }
    } else {
        null
    }

    /** [done] of the total units are finished. */
    @Synchronized
    fun step(done: Int) {
        this.done = done
        if (drawn > 0) draw()
    }

    @Synchronized
    private fun draw() {
        val elapsed = (System.nanoTime() - started) / 1_000_000
        if (elapsed < delayMillis) return
        val line = render(label, unit, done, total, elapsed)
        err.print("\r" + line + " ".repeat(maxOf(0, drawn - line.length)))
        err.flush()
        drawn = line.length
    }

    /** Stops drawing and erases the line. */
    @Synchronized
    override fun close() {
        ticker?.shutdownNow()
        if (drawn > 0) {
            err.print("\r" + " ".repeat(drawn) + "\r")
            err.flush()
            drawn = 0
        }
    }

    companion object {
        private const val WIDTH = 24

        /** The bar for [done] of [total] after [elapsedMillis]. */
        fun render(label: String, unit: String, done: Int, total: Int, elapsedMillis: Long): String {
            val filled = if (total <= 0) WIDTH else (WIDTH.toLong() * done / total).toInt().coerceIn(0, WIDTH)
            val seconds = elapsedMillis / 1000
            return String.format(
                Locale.ROOT, "%s [%s%s] %d/%d %s  %d:%02d",
                label, "#".repeat(filled), ".".repeat(WIDTH - filled), done, total, unit, seconds / 60, seconds % 60,
            )
        }
    }
}

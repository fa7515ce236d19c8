package dev.ckpt

import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit

/**
 * Why and where a training stopped early at a stop request ([CheckpointCallback.requestStop] or a signal): what
 * [CheckpointCallback.stopped] reports after `fit` returned.
 *
 * ```kotlin
 * saver.fit(model, train, valid, epochs = 30)
 * saver.stopped?.let { println("stopped by ${it.reason} after epoch ${it.epoch}, batch ${it.batch}; resume point ${it.resumePoint}") }
 * ```
 *
 * @property reason what asked for the stop: `SIGTERM`, `SIGINT`, `SIGUSR1`, `SIGUSR2`, or the text given to `requestStop`
 * @property epoch the 1-based epoch training stopped in
 * @property batch the 1-based batch after which it stopped, or null when it stopped at the epoch's end
 * @property step the run's global step at the stop
 * @property resumePoint the path (in the run) of the committed state the run resumes from, or null when nothing
 *   could be saved (`resume = false`, or the save failed: the previous committed state stands)
 * @property commitMillis how long the stop's save took, from the request to the commit (0 when nothing was saved)
 */
public class StopReport internal constructor(
    public val reason: String,
    public val epoch: Int,
    public val batch: Int?,
    public val step: Long,
    public val resumePoint: String?,
    public val commitMillis: Long,
) {
    override fun toString(): String =
        "stopped by $reason at epoch $epoch${batch?.let { ", batch $it" } ?: " end"}, step $step" +
            (resumePoint?.let { "; resume point $it" } ?: "; nothing saved")
}

/**
 * A stop request's life: asked from any thread ([request]), served by the training thread at the next batch end
 * ([serve]), awaited by a signal's shutdown hook ([awaitServed]). One request at a time; a served one is cleared
 * when the next training begins. A request belongs to the training in progress ([begin] to [end]): one made while
 * none runs is refused, and one that training ends before serving is dropped at [end], so that it cannot stop the
 * first batch of a later `fit` (as Keras resets `stop_training` at each `fit`).
 */
internal class StopControl {
    private class Request(val reason: String, val fromSignal: Boolean, val nanos: Long) {
        val served = CountDownLatch(1)

        @Volatile
        var report: StopReport? = null
    }

    @Volatile
    private var current: Request? = null

    /** Whether a training is in progress, between [begin] and [end]. */
    private var training = false

    /** What [request] did. */
    enum class Asked { MADE, ALREADY_PENDING, NO_TRAINING }

    /** Asks for a stop; a request already pending keeps its reason, and without a training in progress nothing is asked. */
    @Synchronized
    fun request(reason: String, fromSignal: Boolean): Asked {
        if (!training) return Asked.NO_TRAINING
        if (current != null && current!!.report == null) return Asked.ALREADY_PENDING
        current = Request(reason, fromSignal, System.nanoTime())
        return Asked.MADE
    }

    /** A training begins: requests are taken from now on. */
    @Synchronized
    fun begin() {
        training = true
        dropped = null
    }

    /**
     * The training ended: later requests are refused, and a request it did not serve is dropped (a shutdown hook
     * waiting for it wakes with no report). Returns the dropped request's reason, or null.
     */
    @Synchronized
    fun end(): String? {
        training = false
        val r = current?.takeIf { it.report == null } ?: return null
        current = null
        dropped = r.reason
        r.served.countDown()
        return r.reason
    }

    /** The reason of the last request that a training ended before serving (for the shutdown hook's message). */
    @Volatile
    var dropped: String? = null
        private set

    /** The reason of the request the training thread has yet to serve, or null. */
    fun pending(): String? = current?.takeIf { it.report == null }?.reason

    /** Nanoseconds since the pending request was made. */
    fun ageNanos(): Long = current?.let { System.nanoTime() - it.nanos } ?: 0L

    /** Whether the pending request came from a signal (the JVM is shutting down after it). */
    fun pendingFromSignal(): Boolean = current?.takeIf { it.report == null }?.fromSignal == true

    /** Marks the pending request served with [report] and wakes whoever waits for it. */
    fun serve(report: StopReport) {
        val r = current ?: return
        r.report = report
        r.served.countDown()
    }

    /** The served request's report, if the last training stopped at one. */
    fun report(): StopReport? = current?.report

    /** Forgets a served request before the next training (a pending one stays: it stops that training). */
    @Synchronized
    fun clearServed() {
        if (current?.report != null) current = null
    }

    /** Waits up to [timeout] for the pending request to be served; returns its report, or null past the deadline. */
    fun awaitServed(timeout: Long, unit: TimeUnit): StopReport? {
        val r = current ?: return null
        r.served.await(timeout, unit)
        return r.report
    }
}

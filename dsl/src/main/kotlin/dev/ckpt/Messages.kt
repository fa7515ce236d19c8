package dev.ckpt

import org.slf4j.LoggerFactory
import java.util.concurrent.ConcurrentLinkedQueue

/** Where the callback's messages go: SLF4J logger `dev.ckpt`, and the user's listener (warnings and errors prefixed). */
internal class Messages(private val listener: CheckpointListener?) {
    private val log = LoggerFactory.getLogger("dev.ckpt")

    fun info(message: String) {
        log.info(message)
        listener?.onMessage(message)
    }

    fun warn(message: String) {
        log.warn(message)
        listener?.onMessage("WARNING: $message")
    }

    fun error(message: String, cause: Throwable?) {
        log.error(message, cause)
        listener?.onMessage("ERROR: $message")
    }

    fun debug(message: String) = log.debug(message)

    /** Warnings of other threads (storage, on the background writer), logged at once and held for [deliver]. */
    private val held = ConcurrentLinkedQueue<String>()

    /** A warning from any thread: logged now; the listener gets it on the training thread, at the next [deliver]. */
    fun warnFromAnyThread(message: String) {
        log.warn(message)
        held.add(message)
    }

    /** On the training thread: hands the held warnings to the listener, oldest first. */
    fun deliver() {
        while (true) {
            val message = held.poll() ?: return
            listener?.onMessage("WARNING: $message")
        }
    }
}

package dev.ckpt

import org.slf4j.LoggerFactory

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
}

package dev.ckpt

import java.util.concurrent.ExecutionException
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors
import java.util.concurrent.Future
import java.util.concurrent.ThreadFactory
import java.util.concurrent.TimeUnit

/**
 * Where saves are written: on the calling (training) thread, or on one background writer thread. At most one
 * save is in flight; [submit] is only called once the previous one was collected with [await] or [poll].
 * Outcomes are handed back to the training thread, which alone touches the decision engine.
 */
internal sealed class SaveQueue<T : Any> : AutoCloseable {
    /** Starts [task]; the caller has collected the previous one. */
    abstract fun submit(task: () -> T)

    /** The outcome of the save in flight if it has finished, without waiting; null otherwise. */
    abstract fun poll(): T?

    /** Waits for the save in flight and returns its outcome (null when none), adding the wait to [waitNanos]. */
    abstract fun await(): T?

    /** Nanoseconds the training thread spent waiting in [await]. */
    var waitNanos: Long = 0L
        protected set

    /** Writes on the caller's thread: [submit] returns when the save is done. */
    class Inline<T : Any> : SaveQueue<T>() {
        private var done: T? = null

        override fun submit(task: () -> T) {
            check(done == null) { "a save is already pending" }
            done = task()
        }

        override fun poll(): T? = done.also { done = null }

        override fun await(): T? = poll()

        override fun close() = Unit
    }

    /** Writes on one daemon thread, named after [name]. */
    class Background<T : Any>(name: String) : SaveQueue<T>() {
        private val executor: ExecutorService = Executors.newSingleThreadExecutor(ThreadFactory { r ->
            Thread(r, "ckpt-writer $name").apply { isDaemon = true }
        })

        @Volatile
        private var inFlight: Future<T>? = null

        override fun submit(task: () -> T) {
            check(inFlight == null) { "a save is already in flight" }
            inFlight = executor.submit<T> { task() }
        }

        override fun poll(): T? {
            val f = inFlight ?: return null
            if (!f.isDone) return null
            inFlight = null
            return f.get()
        }

        /**
         * An interrupted wait leaves the save in flight (it is still running on the writer): a later [await], such
         * as the one closing the session, waits for it again instead of closing the run under a running commit.
         */
        override fun await(): T? {
            val f = inFlight ?: return null
            val started = System.nanoTime()
            try {
                return f.get().also { inFlight = null }
            } catch (e: ExecutionException) {
                inFlight = null
                throw e
            } finally {
                waitNanos += System.nanoTime() - started
            }
        }

        /** Waits up to [timeout] for the save in flight without collecting it (a JVM shutdown hook's last wait). */
        fun awaitQuietly(timeout: Long, unit: TimeUnit) {
            inFlight?.let { f -> runCatching { f.get(timeout, unit) } }
        }

        /** Stops the thread once the save in flight, if any, is collected; call [await] first. */
        override fun close() {
            executor.shutdown()
        }
    }
}

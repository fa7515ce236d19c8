package dev.ckpt.storage

import java.io.IOException
import java.io.InterruptedIOException
import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import java.nio.file.LinkOption
import java.nio.file.Path
import java.nio.file.StandardOpenOption
import java.util.concurrent.ExecutionException
import java.util.concurrent.Executor
import java.util.concurrent.FutureTask
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.ThreadFactory
import java.util.concurrent.ThreadPoolExecutor
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicInteger

/**
 * One flush to the device: a file of a checkpoint, or a directory. The seam through which [FileCommit] makes
 * its writes durable, so that tests can observe the order and concurrency of flushes and the flush benchmark can
 * count them. [DEVICE] is the real one.
 */
internal fun interface Fsync {
    /** Flushes [path] (a directory when [directory]) to the device; returns once it is durable. */
    fun force(path: Path, directory: Boolean)

    companion object {
        /**
         * Reopens the file to flush it (the write phase closed it), so that a commit holds at most one open channel
         * per flush in flight however many variables the model has. A directory goes through
         * [Durable.syncDirectory], which skips file systems that cannot open one.
         */
        val DEVICE: Fsync = Fsync { path, directory ->
            if (directory) {
                Durable.syncDirectory(path)
            } else {
                FileChannel.open(path, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS).use { it.force(true) }
            }
        }
    }
}

/**
 * How a commit flushes its files: all together on [pool] (so that the file system can group their journal
 * commits into fewer device flushes), or one after another when [pool] is null. Either way [files] returns only
 * after every flush has returned, and throws if any failed, naming the file; the caller renames nothing before.
 *
 * ```
 * CommitFlush.GROUPED.files(listOf(dir.resolve("a"), dir.resolve("b"))) // both durable when it returns
 * ```
 *
 * It deliberately does not write, retry or reorder anything against the directory flushes: [FileCommit] calls
 * [files], then [directory] for each directory, then renames.
 */
internal class CommitFlush(private val fsync: Fsync, private val pool: Executor?) {
    fun files(paths: List<Path>) {
        if (pool == null || paths.size < 2) {
            paths.forEach(::flushFile)
            return
        }
        val tasks = paths.map { path -> FutureTask { flushFile(path) } }
        tasks.forEach(pool::execute)
        awaitAll(tasks)
    }

    fun directory(dir: Path) {
        fsync.force(dir, true)
    }

    private fun flushFile(path: Path) {
        try {
            fsync.force(path, false)
        } catch (e: IOException) {
            throw IOException("could not flush $path to the storage device (the checkpoint was not committed): $e", e)
        }
    }

    /**
     * Waits for every task, even after one failed or this thread was interrupted: the commit removes the
     * temporary directory on failure, and must not do so under a flush still in flight.
     */
    private fun awaitAll(tasks: List<FutureTask<Unit>>) {
        var failure: Throwable? = null
        var interrupted = false
        for (task in tasks) {
            while (true) {
                try {
                    task.get()
                    break
                } catch (e: InterruptedException) {
                    interrupted = true
                } catch (e: ExecutionException) {
                    val cause = e.cause ?: e
                    if (failure == null) failure = cause else failure.addSuppressed(cause)
                    break
                }
            }
        }
        if (interrupted) Thread.currentThread().interrupt()
        when (val f = failure) {
            null -> if (interrupted) throw InterruptedIOException("interrupted while flushing a checkpoint (every flush has returned)")
            else -> throw f
        }
    }

    companion object {
        /** Threads flushing at once; `docs/performance-flush.md` compares it with one by one, 2 and 8. */
        const val POOL_SIZE: Int = 4

        /** The shared flush threads: daemons, started on first use, gone after a minute without work. */
        private val sharedPool: Executor by lazy { flushPool(POOL_SIZE) }

        /** Today's commit: every file flushed together on the shared pool. */
        val GROUPED: CommitFlush get() = grouped(Fsync.DEVICE)

        /** Every file flushed together through [fsync] on the shared pool (tests observe the commit's flushes). */
        fun grouped(fsync: Fsync): CommitFlush = CommitFlush(fsync, sharedPool)

        /** A pool of [threads] daemon flush threads (the shared one, or the flush benchmark's alternatives). */
        fun flushPool(threads: Int): Executor {
            require(threads >= 1) { "flush threads: needs at least 1, got $threads" }
            val count = AtomicInteger()
            val factory = ThreadFactory { r -> Thread(r, "ckpt-flush-${count.incrementAndGet()}").apply { isDaemon = true } }
            return ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS, LinkedBlockingQueue(), factory)
                .apply { allowCoreThreadTimeOut(true) }
        }
    }
}

/** Writes [bytes] to a new file without flushing it: [CommitFlush] flushes it with the checkpoint's other files. */
internal fun writeUnflushed(file: Path, bytes: ByteArray) {
    FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS).use { ch ->
        val buffer = ByteBuffer.wrap(bytes)
        while (buffer.hasRemaining()) ch.write(buffer)
    }
}

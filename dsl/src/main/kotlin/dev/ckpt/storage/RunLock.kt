package dev.ckpt.storage

import dev.ckpt.RunLockedException
import java.io.IOException
import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import java.nio.channels.FileLock
import java.nio.channels.OverlappingFileLockException
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.Path
import java.nio.file.StandardOpenOption
import java.util.concurrent.ConcurrentHashMap

/**
 * The exclusive writer lock of a run: an OS file lock on `run.lock` (other processes) plus a registry of
 * runs held in this JVM (file locks are per process, and in-memory file systems fake them).
 */
internal class RunLock private constructor(
    private val key: Path,
    private val channel: FileChannel,
    private val lock: FileLock,
) : AutoCloseable {
    override fun close() {
        try {
            if (lock.isValid) lock.release()
        } finally {
            try {
                channel.close()
            } finally {
                held.remove(key)
            }
        }
    }

    companion object {
        private val held: MutableSet<Path> = ConcurrentHashMap.newKeySet()

        fun acquire(root: Path, owner: String): RunLock {
            val key = root.toRealPath()
            val file = root.resolve(LOCK_FILE)
            if (!held.add(key)) throw RunLockedException(root.toString(), readHolder(file))
            try {
                val channel = FileChannel.open(
                    file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS,
                )
                val lock = try {
                    channel.tryLock()
                } catch (e: OverlappingFileLockException) {
                    null
                }
                if (lock == null) {
                    val holder = readHolder(channel)
                    channel.close()
                    throw RunLockedException(root.toString(), holder)
                }
                // The owner text only helps humans read the refusal; the lock itself is what excludes.
                channel.truncate(0)
                val buffer = ByteBuffer.wrap((owner + "\n").toByteArray(Charsets.UTF_8))
                while (buffer.hasRemaining()) channel.write(buffer, buffer.position().toLong())
                channel.force(true)
                return RunLock(key, channel, lock)
            } catch (e: Throwable) {
                held.remove(key)
                throw e
            }
        }

        /**
         * Who holds the run in [root] now (the owner text the writer recorded, or a description when it recorded
         * none), or null when no writer does. Listing runs asks this; it never blocks.
         *
         * A lock held in this JVM is answered from [held] without opening `run.lock`: closing any channel on a file
         * releases every lock this JVM holds on it. Otherwise it takes a shared lock on `run.lock` for an instant,
         * so a writer that tries to lock the run in that instant is refused as if another writer held it.
         */
        fun heldBy(root: Path): String? {
            val file = root.resolve(LOCK_FILE)
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) return null
            if (root.toRealPath() in held) return "a writer in this process"
            return FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS).use { channel ->
                val lock = try {
                    channel.tryLock(0, Long.MAX_VALUE, true)
                } catch (e: OverlappingFileLockException) {
                    null
                }
                if (lock == null) readHolder(channel) ?: "another process" else null.also { lock.release() }
            }
        }

        private fun readHolder(file: Path): String? = try {
            FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS).use { readHolder(it) }
        } catch (e: IOException) {
            null
        }

        private fun readHolder(channel: FileChannel): String? = try {
            val buffer = ByteBuffer.allocate(1024)
            channel.read(buffer, 0)
            String(buffer.array(), 0, buffer.position(), Charsets.UTF_8).trim().takeIf { it.isNotEmpty() }
        } catch (e: IOException) {
            null
        }
    }
}

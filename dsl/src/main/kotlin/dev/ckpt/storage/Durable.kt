package dev.ckpt.storage

import dev.ckpt.InternalCkptApi
import java.io.IOException
import java.nio.ByteBuffer
import java.nio.channels.FileChannel
import java.nio.file.AtomicMoveNotSupportedException
import java.nio.file.FileSystems
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.Path
import java.nio.file.StandardCopyOption
import java.nio.file.StandardOpenOption
import java.security.MessageDigest
import java.util.HexFormat
import dev.ckpt.CorruptRunException

/** Flushing, atomic moves and hashing: the durability primitives the commit protocol is built from. */
@InternalCkptApi
public object Durable {
    private val isWindows = System.getProperty("os.name").orEmpty().startsWith("Windows", ignoreCase = true)

    /**
     * Directory fsync makes a rename durable. The default provider on POSIX systems supports it (open the
     * directory for reading, force). Other providers (in-memory ones, Windows) cannot open a directory as a
     * channel: for them this one step is skipped; file flushes and atomic moves still apply.
     */
    public fun supportsDirectorySync(dir: Path): Boolean = dir.fileSystem === FileSystems.getDefault() && !isWindows

    public fun syncDirectory(dir: Path) {
        if (!supportsDirectorySync(dir)) return
        FileChannel.open(dir, StandardOpenOption.READ).use { it.force(true) }
    }

    /** Writes [bytes] to a new file and flushes it to the device before returning. */
    public fun writeNewFile(file: Path, bytes: ByteArray) {
        FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS).use { ch ->
            val buffer = ByteBuffer.wrap(bytes)
            while (buffer.hasRemaining()) ch.write(buffer)
            ch.force(true)
        }
    }

    /** Hashes [file] and flushes it to the device in one pass: returns (size, sha256 hex). */
    public fun hashAndSync(file: Path): Pair<Long, String> =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS).use { ch ->
            val hashed = hashChannel(ch)
            ch.force(true)
            hashed
        }

    /** Hashes [file] without following a symbolic link at its last component. */
    public fun hash(file: Path): Pair<Long, String> =
        FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS).use { hashChannel(it) }

    private fun hashChannel(ch: FileChannel): Pair<Long, String> {
        val digest = MessageDigest.getInstance("SHA-256")
        val buffer = ByteBuffer.allocate(64 * 1024)
        var size = 0L
        while (true) {
            buffer.clear()
            val n = ch.read(buffer)
            if (n < 0) break
            buffer.flip()
            size += n
            digest.update(buffer)
        }
        return size to hex(digest.digest())
    }

    public fun sha256(bytes: ByteArray): String = hex(MessageDigest.getInstance("SHA-256").digest(bytes))

    private fun hex(bytes: ByteArray): String = HexFormat.of().formatHex(bytes)

    /**
     * Renames [from] to [to] atomically. Never degrades to copy-and-delete: a copy can be observed (or
     * crash) half-done, which is exactly what the commit protocol exists to prevent.
     */
    public fun atomicMove(from: Path, to: Path, replaceExisting: Boolean = false) {
        try {
            if (replaceExisting) {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING)
            } else {
                Files.move(from, to, StandardCopyOption.ATOMIC_MOVE)
            }
        } catch (e: AtomicMoveNotSupportedException) {
            throw IOException(
                "cannot rename $from to $to atomically on this file system (${from.fileSystem.provider().scheme}); " +
                    "ckpt never falls back to copying, because a copy can be left half-done by a crash: " +
                    "keep the run directory on one file system that supports atomic rename",
                e,
            )
        }
    }

    /**
     * The length of [ch]'s content up to and including its last newline: where the next line of an append-only
     * text file goes, cutting off a last line a crash left without its newline (or the zeros some file systems
     * leave after a crash in place of unwritten data).
     */
    public fun endOfLastLine(ch: FileChannel): Long {
        var end = ch.size()
        val buffer = ByteBuffer.allocate(4096)
        while (end > 0) {
            val start = maxOf(0L, end - buffer.capacity())
            buffer.clear().limit((end - start).toInt())
            while (buffer.hasRemaining() && ch.read(buffer, start + buffer.position()) >= 0) Unit
            for (i in buffer.position() - 1 downTo 0) {
                if (buffer.get(i) == '\n'.code.toByte()) return start + i + 1
            }
            end = start
        }
        return 0L
    }

    /** Reads a small file (manifest, metadata, lock) without following links, refusing oversized files. */
    public fun readBounded(file: Path, limit: Int): ByteArray =
        FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS).use { ch ->
            val size = ch.size()
            if (size > limit) throw CorruptRunException(file.toString(), "is $size bytes, more than the $limit this kind of file may have")
            val buffer = ByteBuffer.allocate(size.toInt())
            while (buffer.hasRemaining() && ch.read(buffer) >= 0) Unit
            buffer.array().copyOf(buffer.position())
        }

    public const val METADATA_LIMIT: Int = 64 * 1024 * 1024
}

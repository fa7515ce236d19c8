package dev.ckpt.storage

import java.io.IOException
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.Path

/**
 * Places a file of a committed checkpoint into a new checkpoint's temporary directory without formatting it again: a
 * hard link where the file system makes one, otherwise a copy, flushed and checked against the recorded SHA-256.
 *
 * ```kotlin
 * val entry = LocalReuse().place(previous.resolve("w.txt"), temp.resolve("w.txt"), recorded) ?: writeAnew()
 * ```
 *
 * A hard link is safe because ckpt never writes into an existing checkpoint file: every file is created new, and
 * deleting a checkpoint only unlinks its names, so either checkpoint can go without touching the other. The link's
 * directory entry becomes durable with the temporary directory's flush; the data was flushed when first written.
 * It deliberately does not re-hash a linked file (the point is not to read it): `verify` does that.
 *
 * @param link makes a hard link (`Files.createLink(link, existing)`); tests inject one that fails
 */
internal class LocalReuse(private val link: (Path, Path) -> Unit = { new, existing -> Files.createLink(new, existing) }) {
    /** What a commit did with its reused files, for tests and benchmarks. */
    class Counts {
        var linked: Int = 0
        var copied: Int = 0
        var rewritten: Int = 0
    }

    val counts: Counts = Counts()

    /**
     * Places [source] (recorded as [recorded]) at [target]: returns [recorded], or null when [source] is missing or
     * no longer the recorded file, so the caller writes the file anew. Throws what copying throws (a full disk).
     */
    fun place(source: Path, target: Path, recorded: FileEntry): FileEntry? {
        if (!Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS) || Files.size(source) != recorded.size) {
            counts.rewritten++
            return null
        }
        try {
            link(target, source)
            counts.linked++
            return recorded
        } catch (e: UnsupportedOperationException) {
            // Not a file system with hard links (an in-memory or a foreign provider): copy instead.
        } catch (e: IOException) {
            // A link across file systems, too many links to one file, a file system without them: copy instead.
            Files.deleteIfExists(target)
        }
        Files.copy(source, target, LinkOption.NOFOLLOW_LINKS)
        val (size, sha256) = Durable.hashAndSync(target)
        if (size != recorded.size || sha256 != recorded.sha256) {
            // The previous checkpoint's file changed since it was recorded: never inherit that.
            Files.delete(target)
            counts.rewritten++
            return null
        }
        counts.copied++
        return recorded
    }
}

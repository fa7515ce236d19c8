package dev.ckpt.storage

import dev.ckpt.RunList
import dev.ckpt.RunState
import dev.ckpt.RunSummary
import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.InternalCkptApi
import java.io.IOException
import java.nio.file.FileVisitResult
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.NoSuchFileException
import java.nio.file.Path
import java.nio.file.SimpleFileVisitor
import java.nio.file.attribute.BasicFileAttributes

/**
 * Finds the runs under a root and summarises each from its `manifest.json` alone (no checkpoint is opened): a local
 * directory tree here, an `s3://` prefix in [S3RunScan]. A directory holding `manifest.json` or `run.lock` is a run;
 * what is below it belongs to it and is not searched. Symbolic links are not followed.
 *
 * ```kotlin
 * val runs = RunScan.list("runs/sweep")
 * ```
 *
 * One unreadable manifest makes that run [RunState.DAMAGED] and never stops the listing.
 */
@InternalCkptApi
public object RunScan {
    /**
     * @throws NoSuchFileException when a local [root] is not a directory
     * @throws IllegalArgumentException when an `s3://` root is malformed
     * @throws dev.ckpt.S3SetupException when [root] is on S3 and `ckpt-s3` is not on the class path
     */
    @Throws(IOException::class)
    internal fun list(root: String): RunList = RunStores.runs(root)

    @Throws(IOException::class)
    internal fun list(root: Path): RunList {
        val base = root.toAbsolutePath().normalize()
        if (!Files.isDirectory(base)) {
            throw NoSuchFileException(base.toString(), null, "no directory here; list runs under the directory that holds them")
        }
        val warnings = ArrayList<String>()
        val found = ArrayList<Path>()
        Files.walkFileTree(base, object : SimpleFileVisitor<Path>() {
            override fun preVisitDirectory(dir: Path, attrs: BasicFileAttributes): FileVisitResult {
                if (Files.exists(dir.resolve(MANIFEST_FILE), LinkOption.NOFOLLOW_LINKS) || Files.exists(dir.resolve(LOCK_FILE), LinkOption.NOFOLLOW_LINKS)) {
                    found.add(dir)
                    return FileVisitResult.SKIP_SUBTREE
                }
                return FileVisitResult.CONTINUE
            }

            override fun visitFileFailed(file: Path, exc: IOException): FileVisitResult {
                warnings.add("cannot read $file ($exc): runs under it are not listed")
                return FileVisitResult.CONTINUE
            }
        })
        val runs = found.parallelStream().map { summarize(base, it) }.toList().filterNotNull()
        return RunList(base.toString(), runs.sortedBy { it.path }, warnings)
    }

    /** The run in [dir], or null when it vanished since it was found. */
    private fun summarize(base: Path, dir: Path): RunSummary? {
        val path = base.relativize(dir).joinToString("/").ifEmpty { "." }
        val store = FileRunStore(dir)
        // The lock first: a run whose writer holds it is training whatever its manifest says.
        val holder = try {
            RunLock.heldBy(dir)
        } catch (e: IOException) {
            null
        }
        val bytes = try {
            store.readManifest()
        } catch (e: NoSuchFileException) {
            return null
        } catch (e: IOException) {
            return damaged(path, store.location, e, holder)
        }
        return of(path, store.location, store::describe, bytes, holder)
    }

    /**
     * The summary of the run at [location] from its manifest's [bytes] (null: none written yet), held by [holder]
     * (null: no writer). [describe] gives a run-relative path's location.
     */
    public fun of(path: String, location: String, describe: (String) -> String, bytes: ByteArray?, holder: String?): RunSummary {
        val state = if (holder != null) RunState.TRAINING else RunState.STOPPED
        if (bytes == null) return RunSummary(path, location, state, null, null, null, null, null, null, null, 0, null, holder)
        val manifest = try {
            Codecs.decodeManifest(describe(MANIFEST_FILE), bytes)
        } catch (e: IOException) {
            return damaged(path, location, e, holder)
        } catch (e: IllegalArgumentException) {
            return damaged(path, location, e, holder)
        }
        val settings = CheckpointPolicy.settingsOf(manifest.policySettings)
        val direction = manifest.monitorDirection
        val best = manifest.best?.let { manifest.entry(it) }
        val newest = manifest.newest()
        return RunSummary(
            path, location, state,
            monitor = settings["monitor"] ?: manifest.checkpoints.firstNotNullOfOrNull { it.facts.monitor },
            direction = direction,
            bestValue = best?.facts?.monitorValue,
            bestPath = best?.path,
            bestLocation = best?.let { describe(it.path) },
            latestEpoch = newest?.facts?.epoch,
            latestStep = newest?.facts?.step,
            checkpoints = manifest.checkpoints.size,
            problem = null,
            writer = holder,
        )
    }

    /** The listing of [root]: [runs] in path order, with [warnings] about what could not be searched. */
    public fun listing(root: String, runs: List<RunSummary>, warnings: List<String>): RunList =
        RunList(root, runs.sortedBy { it.path }, warnings)

    /** A run whose manifest cannot be read: damaged, unless a writer holds it (then it is training, and the problem said). */
    public fun damaged(path: String, location: String, e: Exception, holder: String?): RunSummary = RunSummary(
        path, location, if (holder != null) RunState.TRAINING else RunState.DAMAGED,
        null, null, null, null, null, null, null, 0, e.message ?: e.toString(), holder,
    )
}

package dev.ckpt.storage

import com.google.common.jimfs.Configuration
import com.google.common.jimfs.Jimfs
import dev.ckpt.CheckpointKind
import java.io.IOException
import java.nio.file.FileSystem
import java.nio.file.FileVisitResult
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.SimpleFileVisitor
import java.nio.file.attribute.BasicFileAttributes
import java.time.Clock
import java.time.Instant
import java.time.ZoneOffset

/** The commit protocols, with the steps where the storage contract injects crashes and faults. */
enum class Protocol(
    /** Every step of an overwrite, in order. */
    internal val commitSteps: List<StorageStep>,
    /** The steps of a manifest write. */
    internal val manifestSteps: List<StorageStep>,
) {
    RENAME(
        listOf(
            StorageStep.CREATE_TEMP, StorageStep.WRITE_FILES, StorageStep.WRITE_METADATA, StorageStep.SYNC_TEMP,
            StorageStep.MOVE_OLD_ASIDE, StorageStep.MOVE_INTO_PLACE, StorageStep.SYNC_PARENT,
            StorageStep.WRITE_MANIFEST_TEMP, StorageStep.MOVE_MANIFEST, StorageStep.DELETE_BACKUP,
        ),
        listOf(StorageStep.WRITE_MANIFEST_TEMP, StorageStep.MOVE_MANIFEST),
    ),
    MARKER(
        listOf(
            StorageStep.WRITE_MARKER, StorageStep.WRITE_FILES, StorageStep.WRITE_METADATA, StorageStep.PUT_MANIFEST,
            StorageStep.DELETE_BACKUP, StorageStep.DELETE_MARKER,
        ),
        listOf(StorageStep.PUT_MANIFEST),
    ),
    ;

    /** The step that makes a manifest replacement visible. */
    internal val manifestStep: StorageStep get() = manifestSteps.last()

    /** The steps of a commit that replaces nothing. */
    internal val freshSteps: List<StorageStep> get() = commitSteps - StorageStep.MOVE_OLD_ASIDE - StorageStep.DELETE_BACKUP

    /** The steps before which a failure leaves the commit unrecorded. */
    internal val beforeRecord: List<StorageStep> get() = commitSteps.takeWhile { it != StorageStep.DELETE_BACKUP }
}

/**
 * A private directory tree for one test: [run] is the run root, [outside] holds files no test may touch. A sandbox
 * whose tree is an object store's storage ([store] of a path is then a run on that store) shows the store's
 * objects as files, so the same tests look at and tamper with both.
 */
abstract class Sandbox : AutoCloseable {
    abstract val base: Path
    val run: Path get() = base.resolve("runs/x")
    val outside: Path get() = base.resolve("outside")

    /** The store of the run at [root], a directory under [base]. */
    internal open fun store(root: Path): RunStore = FileRunStore(root)

    /** [relative] in the run at [root], as the store names it in messages. */
    open fun describe(root: Path, relative: String): String = root.resolve(relative).toString()

    internal fun writer(root: Path = run, hook: (StorageStep) -> Unit = {}): RunWriter =
        RunWriter.open(store(root), "fp-1", FIXED_CLOCK, "test owner pid 42", hook)

    internal fun reader(root: Path = run): RunReader = RunReader.open(store(root))

    fun plantOutside() {
        Files.createDirectories(outside)
        Files.writeString(outside.resolve("passwd"), "root:x:0:0")
        Files.writeString(outside.resolve("checkpoint.json"), "{\"not\": \"ckpt's\"}")
    }
}

class DefaultSandbox : Sandbox() {
    override val base: Path = Files.createTempDirectory("ckpt-storage-test")
    override fun close() = deleteTree(base)
}

class JimfsSandbox(configuration: Configuration = Configuration.unix()) : Sandbox() {
    val fileSystem: FileSystem = Jimfs.newFileSystem(configuration)
    override val base: Path = fileSystem.getPath("/sandbox").also { Files.createDirectories(it) }
    override fun close() = fileSystem.close()
}

internal class SimulatedCrash(step: StorageStep) : Error("simulated crash before $step")

val FIXED_CLOCK: Clock = Clock.fixed(Instant.parse("2024-05-01T12:00:00Z"), ZoneOffset.UTC)

internal fun openWriter(root: Path, hook: (StorageStep) -> Unit = {}): RunWriter =
    RunWriter.open(FileRunStore(root), "fp-1", FIXED_CLOCK, "test owner pid 42", hook)

internal fun reader(root: Path): RunReader = RunReader.open(FileRunStore(root))

internal fun crashAt(step: StorageStep, nth: Int = 1): (StorageStep) -> Unit {
    var seen = 0
    return { if (it == step && ++seen == nth) throw SimulatedCrash(it) }
}

internal fun faultAt(step: StorageStep): (StorageStep) -> Unit = { if (it == step) throw IOException("injected fault before $step") }

/** Two model files, one in a subdirectory, whose content identifies the version. */
internal fun model(content: String): List<CheckpointFile> = listOf(
    CheckpointFile("model.json") { content.toByteArray() },
    CheckpointFile("variables/dense.kernel") { (content.reversed() + "#kernel").toByteArray() },
)

internal fun facts(epoch: Int, best: Boolean = false, metrics: Map<String, Double> = mapOf("val_accuracy" to epoch / 100.0)) =
    CheckpointFacts(
        kind = CheckpointKind.WEIGHTS, epoch = epoch, batch = null, step = epoch * 10L, metrics = metrics,
        monitor = "val_accuracy", monitorValue = metrics["val_accuracy"], best = best, createdAt = FIXED_CLOCK.instant(),
    )

/**
 * Commits a checkpoint as the engine would plan it: [best] makes it the best; otherwise the best stays, unless it
 * is overwritten here or released.
 */
internal fun RunWriter.save(
    path: String,
    epoch: Int,
    content: String = "v$epoch",
    best: Boolean = false,
    release: List<String> = emptyList(),
    metrics: Map<String, Double> = mapOf("val_accuracy" to epoch / 100.0),
    files: List<CheckpointFile> = model(content),
): ManifestEntry {
    val bestAfter = when {
        best -> path
        manifest.best == path || manifest.best in release -> null
        else -> manifest.best
    }
    return commit(path, facts(epoch, best, metrics), files, planned(path, bestAfter, release))
}

/**
 * The change the engine plans for committing [path] (a test's model of it): the listed checkpoints without [released]
 * and [path], then [path], which becomes the latest; [best] as given.
 */
internal fun RunWriter.planned(path: String, best: String?, released: List<String> = emptyList(), state: StoredEngineState? = null): RunChange =
    RunChange(manifest.checkpoints.map { it.path }.filter { it != path && it !in released } + path, best, path, released, state)

/** Every path under [root] (relative, '/'-separated) with its content; directories end with '/'. */
fun snapshot(root: Path): Map<String, String> {
    val out = sortedMapOf<String, String>()
    if (!Files.exists(root)) return out
    Files.walkFileTree(root, object : SimpleFileVisitor<Path>() {
        override fun preVisitDirectory(dir: Path, attrs: BasicFileAttributes): FileVisitResult {
            if (dir != root) out[root.relativize(dir).joinToString("/") + "/"] = ""
            return FileVisitResult.CONTINUE
        }

        override fun visitFile(file: Path, attrs: BasicFileAttributes): FileVisitResult {
            out[root.relativize(file).joinToString("/")] = if (attrs.isSymbolicLink) "-> " + Files.readSymbolicLink(file) else
                String(Files.readAllBytes(file), Charsets.ISO_8859_1)
            return FileVisitResult.CONTINUE
        }
    })
    return out
}

private val LEFTOVER = Regex("""\.ckpt-(tmp|bak)-[0-9a-f]{16}$""")

/** ckpt's transient names anywhere under [root]. */
fun leftovers(root: Path): List<String> = snapshot(root).keys.filter { LEFTOVER.containsMatchIn(it.trimEnd('/').substringAfterLast('/')) }

/**
 * Directories under [root] holding a `checkpoint.json` that the manifest ([run]'s) does not list, neither as kept
 * nor as being released: what a crash must never leave behind. A checkpoint counts as listed when its
 * `checkpoint.json` is one an entry records (by SHA-256), wherever it is stored.
 */
internal fun unlistedCheckpoints(root: Path, run: RunReader = reader(root)): List<String> {
    val manifest = run.manifest
    val listed = (manifest.checkpoints + manifest.releasing).map { it.checkpointSha256 }.toSet()
    return snapshot(root).filter { (path, content) ->
        path.endsWith("/checkpoint.json") && sha256Hex(content.toByteArray(Charsets.ISO_8859_1)) !in listed
    }.keys.map { it.removeSuffix("/checkpoint.json") }.filter { !LEFTOVER.containsMatchIn(it.substringAfterLast('/')) }
}

/** `checkpoint.json` files anywhere under [root]: one per stored checkpoint version. */
fun storedVersions(root: Path): List<String> = snapshot(root).keys.filter { it.endsWith("/checkpoint.json") }

private fun sha256Hex(bytes: ByteArray): String =
    java.security.MessageDigest.getInstance("SHA-256").digest(bytes).joinToString("") { "%02x".format(it) }

fun deleteTree(root: Path) {
    if (!Files.exists(root)) return
    Files.walkFileTree(root, object : SimpleFileVisitor<Path>() {
        override fun visitFile(file: Path, attrs: BasicFileAttributes): FileVisitResult {
            Files.delete(file)
            return FileVisitResult.CONTINUE
        }

        override fun postVisitDirectory(dir: Path, exc: IOException?): FileVisitResult {
            Files.delete(dir)
            return FileVisitResult.CONTINUE
        }
    })
}

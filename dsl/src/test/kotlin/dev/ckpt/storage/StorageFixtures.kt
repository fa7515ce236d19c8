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

/** A private directory tree for one test: [run] is the run root, [outside] holds files no test may touch. */
abstract class Sandbox : AutoCloseable {
    abstract val base: Path
    val run: Path get() = base.resolve("runs/x")
    val outside: Path get() = base.resolve("outside")

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
        monitor = "val_accuracy", monitorValue = metrics["val_accuracy"], best = best, createdAt = Instant.EPOCH,
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
    return commit(path, facts(epoch, best, metrics), files, RunChange(bestAfter, release, null))
}

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
 * Directories under [root] holding a `checkpoint.json` that the manifest does not list, neither as kept nor as
 * being released: what a crash must never leave behind.
 */
fun unlistedCheckpoints(root: Path): List<String> {
    val manifest = reader(root).manifest
    val listed = (manifest.checkpoints + manifest.releasing).map { it.path }.toSet()
    return snapshot(root).keys.filter { it.endsWith("/checkpoint.json") }
        .map { it.removeSuffix("/checkpoint.json") }
        .filter { it !in listed && !LEFTOVER.containsMatchIn(it.substringAfterLast('/')) }
}

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

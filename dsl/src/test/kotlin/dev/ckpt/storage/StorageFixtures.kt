package dev.ckpt.storage

import com.google.common.jimfs.Configuration
import com.google.common.jimfs.Jimfs
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
    RunWriter.open(root, "fp-1", FIXED_CLOCK, "test owner pid 42", hook)

internal fun crashAt(step: StorageStep): (StorageStep) -> Unit = { if (it == step) throw SimulatedCrash(it) }

internal fun faultAt(step: StorageStep): (StorageStep) -> Unit = { if (it == step) throw IOException("injected fault before $step") }

/** A model writer producing two files, one in a subdirectory, whose content identifies the version. */
fun model(content: String): CheckpointFilesWriter = CheckpointFilesWriter { dir ->
    Files.writeString(dir.resolve("model.json"), content)
    Files.createDirectories(dir.resolve("variables"))
    Files.writeString(dir.resolve("variables/dense.kernel"), content.reversed() + "#kernel")
}

fun info(epoch: Int, best: Boolean = false, metrics: Map<String, Double> = mapOf("val_accuracy" to epoch / 100.0)) =
    CheckpointInfo(
        kind = CheckpointKind.WEIGHTS, epoch = epoch, step = epoch * 10L, metrics = metrics,
        monitor = "val_accuracy", best = best,
    )

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

package dev.ckpt.kotlindl

import dev.ckpt.storage.CheckpointKind

import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import java.io.BufferedOutputStream
import java.io.IOException
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.Path
import java.nio.file.StandardOpenOption.CREATE_NEW
import java.nio.file.StandardOpenOption.WRITE

/**
 * Writes a model checkpoint in KotlinDL 0.4.0's own `JSON_CONFIG_CUSTOM_VARIABLES` layout, through [Path].
 *
 * ```kotlin
 * val dir = Files.createDirectory(runDir.resolve(".tmp-e03"))
 * val files = NativeFormatWriter.write(model, dir, CheckpointKind.FULL)
 * // files == [modelConfig.json, variableNames.txt, dense_1_dense_kernel.txt, ...]
 * ```
 *
 * The files are those KotlinDL's `save` writes (byte for byte as on JDK 19+, whose `Float.toString` prints the
 * shortest digits; on JDK 17 KotlinDL prints some values with more digits), so `Sequential.loadDefaultModelConfiguration`
 * and `loadWeights` read them; because it goes through `java.nio.file`, it also writes to in-memory or other
 * non-default file systems. Every value round-trips bitwise. Line ends are always `\n`.
 *
 * It does not create, clean, fsync or rename directories, and writes no metadata of its own: the caller
 * hands it an existing empty directory and commits it afterwards.
 */
public object NativeFormatWriter {
    /**
     * Writes [model]'s checkpoint of the given [kind] into [dir] and returns the file names written, relative to
     * [dir], in writing order. Each file is flushed and closed before the next is opened.
     *
     * @throws IllegalArgumentException if [dir] is not an existing empty directory
     * @throws IllegalStateException if the model has no weights yet, or, for [CheckpointKind.FULL], no optimizer state
     * @throws IOException if a file cannot be written
     */
    @JvmStatic
    @Throws(IOException::class)
    public fun write(model: GraphTrainableModel, dir: Path, kind: CheckpointKind): List<String> {
        requireEmptyDirectory(dir)
        val withOptimizer = kind == CheckpointKind.FULL
        val values = KotlinDlAccess.readVariables(model, withOptimizer)
        values.forEach { NativeLayout.requireFileSafe(it.name()) }
        val written = ArrayList<String>(values.size + 2)

        if (withOptimizer) {
            val json = KotlinDlAccess.modelConfigJson(model).toByteArray(Charsets.UTF_8)
            writeFile(dir, NativeLayout.MODEL_CONFIG, written) { it.write(json) }
        }
        val names = buildString { values.forEach { append(it.name()).append('\n') } }.toByteArray(Charsets.UTF_8)
        writeFile(dir, NativeLayout.VARIABLE_NAMES, written) { it.write(names) }
        for (value in values) {
            writeFile(dir, NativeLayout.variableFile(value.name()), written) { FloatText.write(value.values(), it) }
        }
        return written.toList()
    }

    private inline fun writeFile(dir: Path, name: String, written: MutableList<String>, body: (BufferedOutputStream) -> Unit) {
        BufferedOutputStream(Files.newOutputStream(dir.resolve(name), CREATE_NEW, WRITE), 1 shl 16).use {
            body(it)
            it.flush()
        }
        written += name
    }

    private fun requireEmptyDirectory(dir: Path) {
        require(Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            "dir: checkpoint directory $dir must be an existing directory (create it first)"
        }
        Files.newDirectoryStream(dir).use { entries ->
            val first = entries.firstOrNull()
            require(first == null) { "dir: checkpoint directory $dir must be empty, but it contains ${first?.fileName}" }
        }
    }
}

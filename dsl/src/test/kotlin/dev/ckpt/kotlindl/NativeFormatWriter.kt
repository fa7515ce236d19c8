package dev.ckpt.kotlindl

import dev.ckpt.CheckpointKind
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import java.io.IOException
import java.nio.file.Files
import java.nio.file.LinkOption
import java.nio.file.Path
import java.nio.file.StandardOpenOption.CREATE_NEW
import java.nio.file.StandardOpenOption.WRITE

/**
 * Writes a model checkpoint in KotlinDL 0.4.0's own `JSON_CONFIG_CUSTOM_VARIABLES` layout into a directory,
 * outside any run: the files are those of [ModelSnapshot.files], what KotlinDL's `save` writes (byte for byte as
 * on JDK 19+, whose `Float.toString` prints the shortest digits; on JDK 17 KotlinDL prints some values with more
 * digits, which read back to the same bits), so `Sequential.loadDefaultModelConfiguration` and `loadWeights` read
 * them. Test support (the native-format and restore specs, the benchmarks): runs commit snapshots through their
 * storage instead, so main code has no use for it.
 */
internal object NativeFormatWriter {
    /**
     * Writes [model]'s checkpoint of the given [kind] into [dir], an existing empty directory, and returns the
     * file names written, in writing order.
     */
    @Throws(IOException::class)
    fun write(model: GraphTrainableModel, dir: Path, kind: CheckpointKind): List<String> {
        require(Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            "dir: checkpoint directory $dir must be an existing directory (create it first)"
        }
        Files.newDirectoryStream(dir).use { entries ->
            val first = entries.firstOrNull()
            require(first == null) { "dir: checkpoint directory $dir must be empty, but it contains ${first?.fileName}" }
        }
        val config = if (kind == CheckpointKind.FULL) ModelSnapshot.configurationOf(model) else null
        val files = ModelSnapshot.take(model, kind, config).files()
        for (file in files) Files.write(dir.resolve(file.path), file.bytes(), CREATE_NEW, WRITE)
        return files.map { it.path }
    }
}

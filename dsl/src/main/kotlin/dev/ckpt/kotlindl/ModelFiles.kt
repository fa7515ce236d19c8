package dev.ckpt.kotlindl

import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.jetbrains.kotlinx.dl.api.core.SavingFormat
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.api.core.WritingMode
import java.io.IOException
import java.nio.file.FileSystems
import java.nio.file.Files
import java.nio.file.Path
import kotlin.io.path.isRegularFile
import kotlin.io.path.name

/**
 * Model files in KotlinDL 0.4.0's native layout (`modelConfig.json`, `variableNames.txt`, one text file
 * per variable), written into a directory that the storage layer commits atomically.
 */
internal object ModelFiles {
    internal const val CONFIG_FILE: String = "modelConfig.json"

    /** Writes [model]'s configuration and weights (and optimizer state when [full]) into the empty directory [dir]. */
    @Throws(IOException::class)
    internal fun write(model: GraphTrainableModel, dir: Path, full: Boolean) {
        onDefaultFileSystem(dir, copyBack = true) { local ->
            // OVERRIDE deletes `local` first: it is the private temporary directory of this commit.
            model.save(local.toFile(), SavingFormat.JSON_CONFIG_CUSTOM_VARIABLES, full, WritingMode.OVERRIDE)
        }
    }

    /** Loads the weights in [dir] (and optimizer state when [withOptimizer]) into a compiled [model]. */
    @Throws(IOException::class)
    internal fun loadWeightsInto(model: GraphTrainableModel, dir: Path, withOptimizer: Boolean) {
        onDefaultFileSystem(dir, copyBack = false) { local -> KotlinDlAccess.loadWeights(model, local.toFile(), withOptimizer) }
    }

    /** Builds an uncompiled model from the configuration in [dir]. */
    @Throws(IOException::class)
    internal fun loadConfiguration(dir: Path): Sequential {
        var model: Sequential? = null
        onDefaultFileSystem(dir, copyBack = false) { local ->
            model = Sequential.loadModelConfiguration(local.resolve(CONFIG_FILE).toFile())
        }
        return model!!
    }

    /** KotlinDL reads and writes `java.io.File`s: on another file system, go through a local copy. */
    private inline fun onDefaultFileSystem(dir: Path, copyBack: Boolean, action: (Path) -> Unit) {
        if (dir.fileSystem == FileSystems.getDefault()) {
            action(dir)
            return
        }
        val local = Files.createTempDirectory("ckpt-model-")
        try {
            if (!copyBack) copyFiles(dir, local)
            action(local)
            if (copyBack) copyFiles(local, dir)
        } finally {
            local.toFile().deleteRecursively()
        }
    }

    private fun copyFiles(from: Path, to: Path) {
        Files.newDirectoryStream(from).use { files ->
            for (file in files) {
                if (file.isRegularFile()) Files.copy(file, to.resolve(file.name))
            }
        }
    }
}

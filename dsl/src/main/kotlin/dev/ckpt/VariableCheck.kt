package dev.ckpt

import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import java.nio.file.Files
import java.nio.file.Path

/** Checks, before KotlinDL loads anything, that a checkpoint has a value for every variable of a model. */
internal object VariableCheck {
    private const val NAMES_FILE = "variableNames.txt"

    internal fun requireMatch(model: GraphTrainableModel, dir: Path, checkpoint: String) {
        val file = dir.resolve(NAMES_FILE)
        require(Files.isRegularFile(file)) { "checkpoint $checkpoint has no $NAMES_FILE: it was not written in KotlinDL's layout" }
        val saved = Files.readAllLines(file).map { it.trim() }.filter { it.isNotEmpty() }.toSet()
        val optimizer = model.kGraph().optimizerVariables().map { it.op().name() }.toSet()
        val needed = model.kGraph().variableNames().filter { it !in optimizer }
        val missing = needed.filter { it !in saved }
        require(missing.isEmpty()) {
            "the model's layers do not match checkpoint $checkpoint: it has no values for ${missing.joinToString(", ")}; " +
                "the checkpoint holds ${saved.filter { it !in optimizer }.sorted().joinToString(", ")}. " +
                "Build the model with the same layers (and layer names) as the one that was saved"
        }
    }
}

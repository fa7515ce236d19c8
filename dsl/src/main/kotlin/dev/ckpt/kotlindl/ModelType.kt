package dev.ckpt.kotlindl

import org.jetbrains.kotlinx.dl.api.core.Functional
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.jetbrains.kotlinx.dl.api.core.Sequential

/**
 * A KotlinDL model class that ckpt rebuilds from a saved configuration. KotlinDL's `modelConfig.json` does not say
 * which class wrote it (both write the same layer list; Functional's layers also carry their inbound nodes), so a
 * checkpoint records the class by [className] in its `checkpoint.json`.
 */
internal sealed class ModelType<out M : GraphTrainableModel>(
    /** The simple class name, as `checkpoint.json` records it. */
    val className: String,
) {
    /** An uncompiled model built from KotlinDL's configuration JSON. */
    abstract fun fromConfig(json: String): M

    override fun toString(): String = className

    object SequentialModel : ModelType<Sequential>("Sequential") {
        override fun fromConfig(json: String): Sequential = KotlinDlAccess.sequentialFromConfigJson(json)
    }

    object FunctionalModel : ModelType<Functional>("Functional") {
        override fun fromConfig(json: String): Functional = KotlinDlAccess.functionalFromConfigJson(json)
    }

    companion object {
        val all: List<ModelType<GraphTrainableModel>> = listOf(SequentialModel, FunctionalModel)

        /**
         * The type a checkpoint recorded, or [SequentialModel] when it recorded none (format 1 predates the record,
         * and rebuilt Sequential models only); null for a class ckpt cannot rebuild.
         */
        fun ofRecorded(className: String?): ModelType<GraphTrainableModel>? =
            if (className == null) SequentialModel else all.firstOrNull { it.className == className }

        /** The type of [model], as a checkpoint of it records. */
        fun nameOf(model: GraphTrainableModel): String = model.javaClass.simpleName
    }
}

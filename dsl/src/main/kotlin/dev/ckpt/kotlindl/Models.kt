package dev.ckpt.kotlindl

import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.jetbrains.kotlinx.dl.api.core.callback.Callback

/** What the callback needs to know about the model it is bound to. */
internal object Models {
    /**
     * The model a callback is bound to; KotlinDL binds it at the start of `fit`.
     *
     * @throws IllegalStateException before the callback has been passed to `fit`
     */
    fun boundTo(callback: Callback): GraphTrainableModel = KotlinDlAccess.modelOf(callback)

    /** The compiled metrics' names in compile order, as ckpt logs them (`accuracy`, `mae`, ...). */
    fun metricNames(model: GraphTrainableModel): List<String> = KotlinDlAccess.metricNames(model)
}

package dev.ckpt

import dev.ckpt.kotlindl.Digits
import org.jetbrains.kotlinx.dl.api.core.Sequential
import org.jetbrains.kotlinx.dl.dataset.OnHeapDataset

/** The callback specs' view of the shared digits fixtures; data and model live in [Digits]. */
internal object Fixtures {
    /** Training and validation splits, loaded once. */
    val digits: Pair<OnHeapDataset, OnHeapDataset> by lazy { Digits.train() to Digits.validation() }

    fun model(): Sequential = Digits.newModel()

    fun compiled(): Sequential = Digits.newCompiledModel()

    fun compile(model: Sequential) = Digits.compile(model)
}

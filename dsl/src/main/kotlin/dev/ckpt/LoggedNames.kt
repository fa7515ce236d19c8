package dev.ckpt

import org.jetbrains.kotlinx.dl.api.core.history.BatchTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.EpochTrainingEvent

/**
 * Turns KotlinDL's positional metric values into named logs: `loss`, each compiled metric by name,
 * and at epoch end with validation data their `val_` twins, as Keras names them.
 */
internal class LoggedNames(private val metrics: List<String>) {
    /** Every name a model compiled with these metrics can log. */
    internal val all: List<String> = listOf(LOSS) + metrics + (listOf(LOSS) + metrics).map { VAL + it }

    /**
     * The logs after the [batches]-th batch of an epoch (1-based; within one KotlinDL `fit` call), as Keras logs
     * them: running means over the epoch's batches so far. KotlinDL 0.4's batch event carries the batch's own loss
     * (the caller sums them: [lossSum]) and, per metric, the *sum* of the batch values so far; a monitored
     * `accuracy` would otherwise grow past 1 through the epoch.
     */
    internal fun batchLogs(event: BatchTrainingEvent, batches: Int, lossSum: Double): Map<String, Double> =
        named(lossSum / batches, event.metricValues.map { it / batches }, prefix = "")

    internal fun epochLogs(event: EpochTrainingEvent): Map<String, Double> {
        val logs = named(event.lossValue, event.metricValues, prefix = "")
        val valLoss = event.valLossValue ?: return logs
        return logs + named(valLoss, event.valMetricValues ?: emptyList(), prefix = VAL)
    }

    private fun named(loss: Double, values: List<Double?>, prefix: String): Map<String, Double> {
        val out = LinkedHashMap<String, Double>()
        out[prefix + LOSS] = loss
        metrics.forEachIndexed { i, name -> values.getOrNull(i)?.let { out[prefix + name] = it } }
        return out
    }

    private companion object {
        const val LOSS = "loss"
        const val VAL = "val_"
    }
}

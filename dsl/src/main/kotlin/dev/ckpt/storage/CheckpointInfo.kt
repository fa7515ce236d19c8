package dev.ckpt.storage

/**
 * What the caller knows about a checkpoint it is about to commit: the facts that go into `checkpoint.json`
 * and the run manifest.
 *
 * ```kotlin
 * val info = CheckpointInfo(CheckpointKind.WEIGHTS, epoch = 7, step = 700,
 *     metrics = mapOf("val_accuracy" to 0.95), monitor = "val_accuracy", best = true)
 * ```
 *
 * It deliberately does not decide anything: whether this checkpoint is the best is the engine's answer,
 * passed in as [best]. The value of the monitored metric is taken from [metrics] (absent when the
 * monitor is not among them).
 */
public data class CheckpointInfo @JvmOverloads constructor(
    /** Weights only or the full model. */
    public val kind: CheckpointKind,
    /** Epoch the checkpoint was taken at (as counted by the caller), `>= 0`. */
    public val epoch: Int,
    /** Global training step (batches seen), `>= 0`. */
    public val step: Long,
    /** Batch within the epoch for batch-level saves, or null for an epoch-end save. */
    public val batch: Int? = null,
    /** Logged metrics at save time; NaN and infinities are allowed and stored as strings. */
    public val metrics: Map<String, Double> = emptyMap(),
    /** Name of the monitored metric, or null when the policy has no monitor. */
    public val monitor: String? = null,
    /** True when the engine decided this checkpoint is the new best; the manifest's `best` then points here. */
    public val best: Boolean = false,
) {
    init {
        require(epoch >= 0) { "epoch must be >= 0, got $epoch" }
        require(step >= 0) { "step must be >= 0, got $step" }
        require(batch == null || batch >= 0) { "batch must be null or >= 0, got $batch" }
        require(metrics.keys.none { it.isBlank() }) { "metric names must not be blank, got ${metrics.keys}" }
        require(monitor == null || monitor.isNotBlank()) { "monitor must be null or a metric name, got \"$monitor\"" }
    }

    /** Value of [monitor] in [metrics], or null. */
    public val monitorValue: Double? get() = monitor?.let { metrics[it] }
}

@file:JvmName("CheckpointDsl")

package dev.ckpt

/**
 * A Keras-style checkpoint callback for KotlinDL's `fit`.
 *
 * ```kotlin
 * val saver = checkpoint("runs/digits/e{epoch:02d}-{val_accuracy:.3f}") {
 *     monitor = "val_accuracy"; mode = MAX; saveBestOnly = true
 * }
 * model.fit(trainingDataset = train, validationDataset = valid, epochs = 30,
 *           trainBatchSize = 32, validationBatchSize = 64, callbacks = listOf(saver))
 * val best = Checkpoints.open("runs/digits").best()
 * ```
 *
 * The policy is checked here; the metric names are checked when training begins, before the first
 * epoch. Checkpoints are written atomically under the run directory (the template's fixed leading
 * directories), with a `manifest.json` that records best and latest. From Java, use [Ckpt.callback] with a
 * `CheckpointPolicy`, or this function as `CheckpointDsl.checkpoint(path, spec -> { ...; return Unit.INSTANCE; })`.
 *
 * @throws dev.ckpt.core.CheckpointConfigException when an option cannot work, naming it
 */
public fun checkpoint(filepath: String, configure: CheckpointSpec.() -> Unit = {}): CheckpointCallback {
    val spec = CheckpointSpec(filepath).apply(configure)
    return CheckpointCallback(spec.policy(), spec.options())
}

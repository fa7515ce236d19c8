@file:JvmName("Ckpt")

package dev.ckpt

import java.util.function.Consumer

/**
 * A Keras-style checkpoint callback for KotlinDL's `fit`, configured by [configure] on [CheckpointOptions].
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
 * directories), with a `manifest.json` that records best and latest. Java calls the other `checkpoint`,
 * `Ckpt.checkpoint(path, options -> ...)`; this one is hidden from Java, where its function type would make a
 * lambda ambiguous.
 *
 * @throws dev.ckpt.core.CheckpointConfigException when an option cannot work, naming it
 */
@JvmSynthetic
public fun checkpoint(filepath: String, configure: CheckpointOptions.() -> Unit = {}): CheckpointCallback =
    CheckpointOptions(filepath).apply(configure).callback()

/**
 * The Java entry point: a checkpoint callback that saves to [filepath], configured by [configure] on
 * [CheckpointOptions] (Kotlin code writes `checkpoint(path) { ... }`, the same options).
 *
 * ```java
 * CheckpointCallback saver = Ckpt.checkpoint("runs/digits/e{epoch:02d}", options -> {
 *     options.setMonitor("val_accuracy");
 *     options.setMode(Mode.MAX);
 *     options.setSaveBestOnly(true);
 *     options.setResume(true);
 * });
 * saver.fit(model, train, valid, 10, 32, 256, List.of());   // the run up to 10 epochs, no batch trained twice
 * Checkpoint best = Checkpoints.open("runs/digits").best();
 * ```
 *
 * @throws dev.ckpt.core.CheckpointConfigException when an option cannot work, naming it
 */
public fun checkpoint(filepath: String, configure: Consumer<CheckpointOptions>): CheckpointCallback =
    CheckpointOptions(filepath).also(configure::accept).callback()

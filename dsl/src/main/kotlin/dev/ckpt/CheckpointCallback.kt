package dev.ckpt

import dev.ckpt.core.engine.CheckpointEngine
import dev.ckpt.core.engine.Decision
import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.kotlindl.KotlinDlAccess
import dev.ckpt.kotlindl.NativeFormatWriter
import dev.ckpt.storage.CheckpointInfo
import dev.ckpt.storage.CheckpointKind
import dev.ckpt.storage.RunWriter
import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.BatchTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.EpochTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import org.slf4j.LoggerFactory
import java.io.IOException
import java.nio.file.Path

/**
 * The KotlinDL callback that [checkpoint] (or [Ckpt.callback] from Java) returns: it feeds training
 * events to ckpt's decision engine and carries out its saves, atomically, in KotlinDL's native format.
 *
 * ```kotlin
 * val saver = checkpoint("runs/x/e{epoch:02d}") { saveBestOnly = true; monitor = "val_accuracy" }
 * model.fit(trainingDataset = train, validationDataset = valid, epochs = 10, callbacks = listOf(saver))
 * saver.saved.forEach { println(it) }
 * ```
 *
 * One instance serves one `fit` call at a time; it holds the run's lock from train begin to train
 * end. It never deletes a file it did not write, and never the best or the latest checkpoint.
 */
public class CheckpointCallback internal constructor(
    /** The decision policy. */
    public val policy: CheckpointPolicy,
    private val options: CallbackOptions,
) : Callback() {
    private val layout = RunLayout.of(policy, options.directory)
    private val log = LoggerFactory.getLogger("dev.ckpt")
    private var run: ActiveRun? = null
    private val savedPaths = ArrayList<String>()

    /** The run directory, which holds `manifest.json`. */
    public val runDirectory: Path get() = layout.root

    /** Paths (as formatted) of the checkpoints this callback has committed, in order. */
    public val saved: List<String> get() = savedPaths.toList()

    override fun onTrainBegin() {
        run?.close()
        run = ActiveRun.open(this, policy, options, layout)
    }

    override fun onEpochBegin(epoch: Int, logs: TrainingHistory) {
        event { it.onEpochBegin(epoch) }
    }

    override fun onTrainBatchEnd(batch: Int, batchSize: Int, event: BatchTrainingEvent, logs: TrainingHistory) {
        event { it.onBatchEnd(batch, event) }
    }

    override fun onEpochEnd(epoch: Int, event: EpochTrainingEvent, logs: TrainingHistory) {
        event { it.onEpochEnd(epoch, event) }
    }

    override fun onTrainEnd(logs: TrainingHistory) {
        run?.close()
        run = null
    }

    /**
     * An exception leaving a callback ends `fit` without `onTrainEnd`: release the run (its lock) first, or the
     * run would stay locked for the rest of this JVM's life and a retry in the same process would be refused.
     */
    private inline fun event(action: (ActiveRun) -> Unit) {
        val active = run ?: error("checkpoint callback: training event before onTrainBegin")
        try {
            action(active)
        } catch (e: Throwable) {
            run = null
            try {
                active.close()
            } catch (suppressed: Throwable) {
                e.addSuppressed(suppressed)
            }
            throw e
        }
    }

    /** One `fit` call: engine, writer and model. */
    private class ActiveRun(
        private val owner: CheckpointCallback,
        private val policy: CheckpointPolicy,
        private val options: CallbackOptions,
        private val layout: RunLayout,
        private val writer: RunWriter,
        private var engine: CheckpointEngine,
        private val model: GraphTrainableModel,
        private val names: LoggedNames,
        private val epochOffset: Int,
    ) : AutoCloseable {
        fun onEpochBegin(epoch: Int) = engine.onEpochBegin(engineEpoch(epoch))

        fun onBatchEnd(batch: Int, event: BatchTrainingEvent) {
            carryOut(engine.onBatchEnd(batch, names.batchLogs(event)))
        }

        fun onEpochEnd(epoch: Int, event: EpochTrainingEvent) {
            carryOut(engine.onEpochEnd(engineEpoch(epoch), names.epochLogs(event)))
        }

        // KotlinDL numbers epochs from 1 in every fit call; the engine counts from 0 across resumes.
        private fun engineEpoch(kotlinDlEpoch: Int): Int = epochOffset + kotlinDlEpoch - 1

        private fun carryOut(decision: Decision) {
            when (decision) {
                is Decision.Save -> save(decision)
                is Decision.Skip -> report(decision)
                else -> Unit
            }
        }

        private fun report(skip: Decision.Skip) {
            if (skip.reason() == Decision.Reason.MISSING_MONITOR) {
                warn(skip.message())
            } else if (policy.verbose()) {
                info(skip.message())
            }
        }

        private fun info(message: String) {
            owner.log.info(message)
            options.listener?.onMessage(message)
        }

        private fun warn(message: String) {
            owner.log.warn(message)
            options.listener?.onMessage("WARNING: $message")
        }

        private fun save(save: Decision.Save) {
            if (policy.verbose()) info(save.message())
            val before = engine.state()
            val released = engine.onCommitted(save)
            val info = CheckpointInfo(
                kind = if (policy.saveWeightsOnly()) CheckpointKind.WEIGHTS else CheckpointKind.FULL,
                epoch = save.epoch(),
                step = save.step(),
                batch = save.batch(),
                metrics = save.metrics(),
                monitor = policy.monitor().metric(),
                best = save.newBest(),
            )
            try {
                writer.commit(layout.target(save.path()), info, EngineStateJson.encode(engine.state())) { dir ->
                    NativeFormatWriter.write(model, dir, info.kind)
                }
            } catch (e: IOException) {
                // The engine must not believe in a checkpoint that is not on disk.
                engine = CheckpointEngine.resume(policy, before, options.clock)
                if (options.onSaveError == SaveErrorAction.STOP) throw e
                owner.log.error("ckpt: saving ${save.path()} failed; training continues (onSaveError = WARN_AND_CONTINUE)", e)
                options.listener?.onMessage("ERROR: saving ${save.path()} failed ($e); training continues")
                return
            }
            owner.savedPaths += save.path()
            for (path in released) {
                // A crash before this loop ends leaves released checkpoints listed: wasted space, never loss.
                writer.delete(layout.manifestPath(path))
                if (policy.verbose()) info("Retention released $path (${policy.retention().summary()})")
            }
        }

        override fun close() = writer.close()

        companion object {
            fun open(owner: CheckpointCallback, policy: CheckpointPolicy, options: CallbackOptions, layout: RunLayout): ActiveRun {
                val model = KotlinDlAccess.modelOf(owner)
                val names = LoggedNames(KotlinDlAccess.metricNames(model))
                val writer = RunWriter.open(layout.root, policy.fingerprint(), options.clock)
                try {
                    val existing = writer.manifest
                    val engine: CheckpointEngine
                    if (options.resume && existing.engineState != null) {
                        Resume.checkCompatible(policy, existing, layout.root)
                        engine = CheckpointEngine.resume(policy, EngineStateJson.decode(existing.engineState!!), options.clock)
                        Resume.restoreLatest(writer, model, layout.root)
                        Resume.finishReleases(writer, engine.state().checkpoints().map { layout.manifestPath(it.path()) })
                    } else {
                        if (!options.resume && existing.checkpoints.isNotEmpty()) {
                            throw IllegalStateException(
                                "run directory ${layout.root} already holds a run with ${existing.checkpoints.size} " +
                                    "checkpoint(s) (latest: ${existing.latest}, best: ${existing.best}); set resume = true " +
                                    "to continue it, or choose another directory",
                            )
                        }
                        engine = CheckpointEngine.start(policy, options.clock)
                    }
                    engine.onTrainBegin(names.all)
                    return ActiveRun(owner, policy, options, layout, writer, engine, model, names, engine.state().completedEpochs())
                } catch (e: Throwable) {
                    writer.close()
                    throw e
                }
            }
        }
    }
}

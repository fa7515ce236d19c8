package dev.ckpt.cli

import dev.ckpt.Checkpoint
import dev.ckpt.Checkpoints
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put
import kotlinx.serialization.json.putJsonObject
import picocli.CommandLine.Model.CommandSpec
import picocli.CommandLine.Option
import picocli.CommandLine.Parameters
import picocli.CommandLine.Spec
import java.io.IOException
import java.io.PrintWriter
import java.util.Locale
import java.util.concurrent.Callable

/** What every command shares: `--json`, `--help`, the streams, printing JSON and warnings. */
internal abstract class CliCommand : Callable<Int> {
    @Spec
    lateinit var spec: CommandSpec

    @Option(names = ["--json"], description = ["Print JSON for scripts instead of text."])
    var json: Boolean = false

    @Option(names = ["-h", "--help"], usageHelp = true, description = ["Show this help and exit."])
    var help: Boolean = false

    protected val out: PrintWriter get() = spec.commandLine().out
    protected val err: PrintWriter get() = spec.commandLine().err

    protected fun printJson(element: JsonElement) {
        out.println(Text.json.encodeToString(JsonElement.serializer(), element))
    }

    /** One line on stderr, prefixed with the command's name. */
    protected fun warn(message: String) {
        err.println("${CkptCli.name(spec.commandLine())}: ${Text.oneLine(message)}")
    }
}

/** What the commands on one run share: the RUN argument and opening the run. */
internal abstract class RunCommand : CliCommand() {
    @Parameters(
        index = "0", paramLabel = "RUN",
        description = ["The run: the directory holding manifest.json (or an s3:// location: settings in the README, 'Checkpoints on S3')."],
    )
    lateinit var run: String

    /** The run, read through the library: a missing run or a damaged manifest fails as [Checkpoints.open] does. */
    protected fun open(): Checkpoints = Checkpoints.open(run)

    /** The monitored metric and its direction, as the run's policy recorded them: `val_accuracy (max)`. */
    protected fun monitorText(run: Checkpoints): String? {
        val monitor = HistoryChart.monitorOf(run) ?: return null
        val direction = run.policySettings["direction"]?.lowercase(Locale.ROOT)
        return monitor + (direction?.let { " ($it)" } ?: "")
    }

    protected fun marks(c: Checkpoint): String = listOfNotNull("best".takeIf { c.isBest }, "latest".takeIf { c.isLatest }, "resume point".takeIf { c.isResumePoint }).joinToString(",")

    /** The checkpoint's size, or the problem that keeps it from being known (a damaged or missing `checkpoint.json`). */
    protected fun sizeOf(c: Checkpoint): Result<Long> = try {
        Result.success(c.sizeBytes())
    } catch (e: IOException) {
        Result.failure(e)
    }

    protected fun checkpointJson(c: Checkpoint, size: Result<Long>?): JsonObject = buildJsonObject {
        put("path", c.path)
        put("location", c.location)
        put("epoch", c.epoch)
        put("batch", c.batch)
        put("step", c.step)
        put("kind", c.kind.name.lowercase(Locale.ROOT))
        put("monitor", c.monitor)
        put("monitorValue", Text.metricJson(c.monitorValue))
        put("best", c.isBest)
        put("latest", c.isLatest)
        put("createdAt", c.createdAt.toString())
        put("modelClass", c.modelClass)
        put("metadataSha256", c.metadataSha256)
        if (size != null) {
            put("sizeBytes", size.getOrNull()?.let(::JsonPrimitive) ?: JsonPrimitive(null as Number?))
            size.exceptionOrNull()?.let { put("sizeProblem", it.message) }
        }
        putJsonObject("metrics") { c.metrics.toSortedMap().forEach { (name, value) -> put(name, Text.metricJson(value)) } }
    }
}

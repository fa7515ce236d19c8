package dev.ckpt.cli

import dev.ckpt.Checkpoints
import kotlinx.serialization.json.add
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put
import kotlinx.serialization.json.putJsonArray
import picocli.CommandLine.Command
import picocli.CommandLine.Option
import picocli.CommandLine.Parameters
import java.nio.file.Path
import java.util.Locale

@Command(
    name = "plot",
    description = [
        "Draw metrics over epochs from the run's history, marking best, kept and released checkpoints; with more than",
        "one RUN, one --metric of every run on one chart, one line per run, each run's best checkpoint marked.",
    ],
)
internal class PlotCommand : RunCommand() {
    @Parameters(index = "1..*", paramLabel = "RUN", description = ["More runs to draw beside the first (needs exactly one --metric)."])
    var more: MutableList<String> = ArrayList()

    @Option(
        names = ["-m", "--metric"], paramLabel = "NAME",
        description = ["A metric to draw (repeatable; default: the monitored metric and loss)."],
    )
    var metrics: MutableList<String> = ArrayList()

    @Option(names = ["-o", "--out"], paramLabel = "FILE", required = true, description = ["The chart to write: FILE.png or FILE.svg."])
    lateinit var outFile: String

    @Option(names = ["--width"], paramLabel = "PIXELS", description = ["Width (default 1000)."])
    var width: Int = 1000

    @Option(names = ["--height"], paramLabel = "PIXELS", description = ["Height (default 600)."])
    var height: Int = 600

    override fun call(): Int {
        val lower = outFile.lowercase(Locale.ROOT)
        if (!lower.endsWith(".png") && !lower.endsWith(".svg")) {
            throw CliFailure(ExitCodes.USAGE, "--out must end with .png or .svg, got \"$outFile\"")
        }
        if (more.isNotEmpty()) return overlay()
        val run = open()
        val history = run.history()
        if (history.isEmpty()) {
            throw CliFailure(
                ExitCodes.NOT_FOUND,
                "run ${run.location} has no metric history (history.jsonl): it was written before ckpt recorded one, or no epoch has ended yet",
            )
        }
        val logged = HistoryChart.loggedMetrics(history)
        metrics.firstOrNull { it !in logged }?.let {
            throw CliFailure(ExitCodes.USAGE, "--metric '$it' is not in the history of run ${run.location}; logged metrics: ${logged.joinToString(", ")}")
        }
        val chosen = metrics.distinct().ifEmpty { HistoryChart.defaultMetrics(run) }
        val written = HistoryChart.write(run, chosen, Path.of(outFile), width, height).toAbsolutePath().normalize()
        if (json) {
            printJson(buildJsonObject {
                put("run", run.location)
                put("out", written.toString())
                putJsonArray("metrics") { chosen.forEach { add(it) } }
                put("epochs", history.map { it.epoch }.distinct().size)
            })
        } else {
            out.println("wrote $written (${chosen.joinToString(", ")} over ${count(history.map { it.epoch }.distinct().size, "epoch")})")
        }
        return ExitCodes.OK
    }

    /** One metric of several runs on one chart. */
    private fun overlay(): Int {
        val metric = metrics.distinct().singleOrNull() ?: throw CliFailure(
            ExitCodes.USAGE,
            "with ${1 + more.size} runs, name exactly one metric to draw with --metric NAME" +
                if (metrics.isEmpty()) "" else ", got ${metrics.distinct().joinToString(", ")}",
        )
        val runs = (listOf(run) + more).map { Checkpoints.open(it) }
        val written = HistoryChart.writeRuns(runs, metric, Path.of(outFile), width, height).toAbsolutePath().normalize()
        if (json) {
            printJson(buildJsonObject {
                put("out", written.toString())
                put("metric", metric)
                putJsonArray("runs") { runs.forEach { add(it.location) } }
            })
        } else {
            out.println("wrote $written ($metric of ${count(runs.size, "run")})")
        }
        return ExitCodes.OK
    }
}

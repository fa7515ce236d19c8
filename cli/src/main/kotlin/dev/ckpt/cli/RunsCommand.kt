package dev.ckpt.cli

import dev.ckpt.Checkpoints
import dev.ckpt.RunGroup
import dev.ckpt.RunList
import dev.ckpt.RunSummary
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.add
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put
import kotlinx.serialization.json.putJsonArray
import kotlinx.serialization.json.putJsonObject
import picocli.CommandLine.Command
import picocli.CommandLine.Option
import picocli.CommandLine.Parameters
import java.util.Locale

@Command(
    name = "runs",
    description = [
        "List every run under ROOT (any depth; a local directory or an s3:// prefix) from their manifests: state, best,",
        "latest. Runs are grouped by monitored metric and direction and ranked best first within their group only;",
        "damaged runs are named apart (exit 4 when there is one).",
    ],
)
internal class RunsCommand : CliCommand() {
    @Parameters(index = "0", paramLabel = "ROOT", description = ["The directory (or s3:// prefix) under which the runs are."])
    lateinit var root: String

    @Option(names = ["--monitor"], paramLabel = "NAME", description = ["Show only the runs that monitor NAME."])
    var monitor: String? = null

    override fun call(): Int {
        val runs = Checkpoints.runs(root)
        val groups = selected(runs, monitor)
        if (json) {
            printJson(buildJsonObject {
                put("root", runs.root)
                putJsonArray("groups") {
                    for (group in groups) {
                        add(buildJsonObject {
                            put("monitor", group.monitor)
                            put("direction", group.direction?.name?.lowercase(Locale.ROOT))
                            put("runs", JsonArray(group.runs.map { runJson(it, group) }))
                        })
                    }
                }
                put("damaged", JsonArray(runs.damaged.map { runJson(it, null) }))
                putJsonArray("warnings") { runs.warnings.forEach { add(it) } }
            })
        } else {
            val shown = groups.sumOf { it.runs.size }
            out.println(
                "runs under ${runs.root}: ${count(shown, "run")}" + (monitor?.let { " monitoring $it" } ?: "") +
                    (if (groups.size > 1) " in ${groups.size} monitor groups, ranked within each group only" else "") +
                    (if (runs.damaged.isEmpty()) "" else ", ${runs.damaged.size} damaged"),
            )
            for (group in groups) {
                out.println()
                out.println(group.label)
                val rows = group.runs.map { r ->
                    listOf(
                        group.rankOf(r)?.toString() ?: "-", r.path, r.state.name.lowercase(Locale.ROOT),
                        Text.metric(r.bestValue), r.bestPath ?: "-", r.latestEpoch?.toString() ?: "-", r.latestStep?.toString() ?: "-",
                        r.checkpoints.toString(),
                    )
                }
                val header = listOf("#", "RUN", "STATE", "BEST", "BEST CHECKPOINT", "EPOCH", "STEP", "CHECKPOINTS")
                Text.table(header, rows, rightAligned = setOf(0, 3, 5, 6, 7)).forEach { out.println("  $it") }
            }
            if (runs.damaged.isNotEmpty()) {
                out.println()
                out.println("damaged")
                runs.damaged.forEach { out.println("  ${it.path}: ${Text.oneLine(it.problem.orEmpty())}") }
            }
        }
        runs.warnings.forEach(::warn)
        runs.damaged.forEach { warn("run ${it.location} is damaged: ${it.problem}") }
        return if (runs.damaged.isEmpty()) ExitCodes.OK else ExitCodes.CORRUPT_RUN
    }

    internal companion object {
        /** The groups [monitor] selects (all when null). */
        fun selected(runs: RunList, monitor: String?): List<RunGroup> {
            if (monitor == null) return runs.groups
            val chosen = runs.groups.filter { it.monitor == monitor }
            if (chosen.isEmpty() && runs.all.isNotEmpty()) {
                throw CliFailure(
                    ExitCodes.NOT_FOUND,
                    "no run under ${runs.root} monitors $monitor; monitors: " +
                        runs.groups.mapNotNull { it.monitor }.joinToString(", ").ifEmpty { "none" },
                )
            }
            return chosen
        }

        /** One run for scripts; `rank` is its place in [group] (1 = best), null when not ranked. */
        fun runJson(run: RunSummary, group: RunGroup?): JsonObject = buildJsonObject {
            put("path", run.path)
            put("location", run.location)
            put("state", run.state.name.lowercase(Locale.ROOT))
            put("rank", group?.rankOf(run))
            put("monitor", run.monitor)
            put("direction", run.direction?.name?.lowercase(Locale.ROOT))
            if (run.bestPath == null) {
                put("best", null as String?)
            } else {
                putJsonObject("best") {
                    put("path", run.bestPath)
                    put("location", run.bestLocation)
                    put("value", Text.metricJson(run.bestValue))
                }
            }
            put("latestEpoch", run.latestEpoch)
            put("latestStep", run.latestStep)
            put("checkpoints", run.checkpoints)
            put("writer", run.writer)
            put("problem", run.problem)
        }

    }
}

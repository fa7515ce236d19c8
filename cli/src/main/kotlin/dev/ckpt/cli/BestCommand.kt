package dev.ckpt.cli

import dev.ckpt.Checkpoints
import kotlinx.serialization.json.JsonObject
import picocli.CommandLine.Command
import picocli.CommandLine.Option

@Command(
    name = "best",
    description = [
        "Print the location of the run's best checkpoint; with --across, of the best run's best checkpoint among every",
        "run under RUN (runs that monitor different metrics are not ranked together: name one with --monitor).",
    ],
)
internal class BestCommand : RunCommand() {
    @Option(names = ["--across"], description = ["RUN is a root: rank the runs under it (as ckpt runs lists them) and take the best."])
    var across: Boolean = false

    @Option(names = ["--monitor"], paramLabel = "NAME", description = ["With --across: rank the runs that monitor NAME."])
    var monitor: String? = null

    override fun call(): Int {
        if (!across) {
            if (monitor != null) throw CliFailure(ExitCodes.USAGE, "--monitor ranks runs under a root: use it with --across")
            val best = open().best()
            if (json) printJson(checkpointJson(best, sizeOf(best))) else out.println(best.location)
            return ExitCodes.OK
        }
        val runs = Checkpoints.runs(run)
        val name = monitor
        val best = if (name == null) runs.best() else runs.best(name)
        val group = runs.groups.first { best in it.runs }
        if (json) {
            printJson(JsonObject(RunsCommand.runJson(best, group) + ("runs" to kotlinx.serialization.json.JsonPrimitive(group.runs.size))))
        } else {
            out.println(best.bestLocation)
        }
        return ExitCodes.OK
    }
}

package dev.ckpt.cli

import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.add
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put
import kotlinx.serialization.json.putJsonArray
import picocli.CommandLine.Command
import java.util.Locale

@Command(name = "ls", description = ["List the run's checkpoints: epoch, batch, step, kind, monitored value, best/latest, size."])
internal class LsCommand : RunCommand() {
    override fun call(): Int {
        val run = open()
        val shown = run.all + listOfNotNull(run.resumePoint)
        val sizes = shown.associate { it.path to sizeOf(it) }
        if (json) {
            printJson(buildJsonObject {
                put("run", run.location)
                put("monitor", HistoryChart.monitorOf(run))
                put("direction", run.policySettings["direction"])
                put("best", run.bestOrNull()?.path)
                put("latest", run.latestOrNull()?.path)
                put("checkpoints", JsonArray(run.all.map { checkpointJson(it, sizes.getValue(it.path)) }))
                run.resumePoint?.let { put("resumePoint", checkpointJson(it, sizes.getValue(it.path))) }
                putJsonArray("pendingReleases") { run.pendingReleases.forEach { add(it) } }
            })
        } else {
            val monitor = HistoryChart.monitorOf(run)
            out.println("run ${run.location}: ${count(run.all.size, "checkpoint")}" + (monitorText(run)?.let { ", monitor $it" } ?: ""))
            if (shown.isNotEmpty()) {
                val rows = shown.map { c ->
                    listOf(
                        c.path, c.epoch.toString(), c.batch?.toString() ?: "-", c.step.toString(), c.kind.name.lowercase(Locale.ROOT),
                        Text.metric(c.monitorValue), marks(c), sizes.getValue(c.path).getOrNull()?.let(Text::size) ?: "?",
                    )
                }
                val header = listOf("PATH", "EPOCH", "BATCH", "STEP", "KIND", monitor ?: "MONITOR", "MARKS", "SIZE")
                Text.table(header, rows, rightAligned = setOf(1, 2, 3, 5, 7)).forEach(out::println)
            }
            if (run.pendingReleases.isNotEmpty()) {
                out.println("released, files not yet deleted (the run's next writer deletes them): ${run.pendingReleases.joinToString(", ")}")
            }
        }
        for ((path, size) in sizes) {
            size.exceptionOrNull()?.let { warn("size of $path unknown: ${it.message}; run ckpt verify") }
        }
        return ExitCodes.OK
    }
}

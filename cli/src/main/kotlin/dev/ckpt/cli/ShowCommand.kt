package dev.ckpt.cli

import dev.ckpt.Checkpoint
import dev.ckpt.Checkpoints
import dev.ckpt.CorruptRunException
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.add
import kotlinx.serialization.json.buildJsonArray
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put
import kotlinx.serialization.json.putJsonArray
import kotlinx.serialization.json.putJsonObject
import picocli.CommandLine.Command
import picocli.CommandLine.Parameters
import java.util.Locale

@Command(name = "show", description = ["Show the run's summary, or one checkpoint's metadata (CHECKPOINT: its path, best, latest or resume)."])
internal class ShowCommand : RunCommand() {
    @Parameters(index = "1", arity = "0..1", paramLabel = "CHECKPOINT", description = ["A checkpoint's path in the run, or best, latest, resume (the resume point)."])
    var checkpoint: String? = null

    override fun call(): Int {
        val run = open()
        val name = checkpoint
        if (name == null) summary(run) else details(pick(run, name))
        return ExitCodes.OK
    }

    private fun pick(run: Checkpoints, name: String): Checkpoint =
        (run.all + listOfNotNull(run.resumePoint)).firstOrNull { it.path == name.trimEnd('/') } ?: when (name) {
            "best" -> run.best()
            "latest" -> run.latest()
            "resume" -> run.resumePoint ?: throw CliFailure(ExitCodes.NOT_FOUND, "run ${run.location} has no resume point")
            else -> throw CliFailure(
                ExitCodes.NOT_FOUND,
                "run ${run.location} has no checkpoint \"$name\"; its checkpoints: " +
                    run.all.joinToString(", ") { it.path }.ifEmpty { "none" } + if (run.resumePoint == null) " (or best, latest)" else " (or best, latest, resume)",
            )
        }

    private fun summary(run: Checkpoints) {
        val sizes = (run.all + listOfNotNull(run.resumePoint)).map { sizeOf(it) }
        val total = sizes.sumOf { it.getOrNull() ?: 0L }
        val history = try {
            Result.success(run.history())
        } catch (e: CorruptRunException) {
            Result.failure(e)
        }
        val best = run.bestOrNull()
        val latest = run.latestOrNull()
        if (json) {
            printJson(buildJsonObject {
                put("run", run.location)
                put("runId", run.runId)
                put("checkpoints", run.all.size)
                put("best", best?.path)
                put("latest", latest?.path)
                put("resumePoint", run.resumePoint?.path)
                put("sizeBytes", total)
                putJsonArray("pendingReleases") { run.pendingReleases.forEach { add(it) } }
                putJsonObject("policy") { run.policySettings.forEach { (k, v) -> put(k, v) } }
                putJsonObject("history") {
                    history.onSuccess { h ->
                        put("epochs", h.map { it.epoch }.distinct().size)
                        put("saves", h.sumOf { it.saved.size })
                    }
                    history.exceptionOrNull()?.let { put("problem", it.message) }
                }
            })
        } else {
            val lines = ArrayList<Pair<String, String>>()
            lines += "run" to run.location
            lines += "run id" to run.runId
            lines += "checkpoints" to run.all.size.toString() + if (run.all.isEmpty()) "" else " (${run.all.first().path} ... ${run.all.last().path})"
            lines += "best" to (best?.let { "${it.path} (epoch ${it.epoch}, ${it.monitor ?: "monitor"} ${Text.metric(it.monitorValue)})" } ?: "none")
            lines += "latest" to (latest?.let { "${it.path} (epoch ${it.epoch}, step ${it.step})" } ?: "none")
            run.resumePoint?.let { lines += "resume point" to "${it.path} (epoch ${it.epoch}${it.batch?.let { b -> ", batch $b" } ?: ""}, step ${it.step})" }
            lines += "size" to Text.size(total) + if (sizes.any { it.isFailure }) " (some sizes unknown: run ckpt verify)" else ""
            lines += "history" to history.fold(
                { h ->
                    if (h.isEmpty()) "none recorded" else {
                        val epochs = h.map { it.epoch }.distinct()
                        val saved = h.flatMap { it.saved }.distinct()
                        val kept = run.all.map { it.path }.toSet()
                        "${count(epochs.size, "epoch")} (${epochs.min()}..${epochs.max()}), ${count(saved.size, "save")}, " +
                            "${saved.count { it !in kept }} released"
                    }
                },
                { "damaged: ${it.message}" },
            )
            if (run.pendingReleases.isNotEmpty()) lines += "releasing" to run.pendingReleases.joinToString(", ")
            lines += "policy" to ""
            val width = (lines.map { it.first.length } + run.policySettings.keys.map { it.length + 2 }).max()
            lines.forEach { (k, v) -> out.println("${k.padEnd(width)}  $v".trimEnd()) }
            run.policySettings.forEach { (k, v) -> out.println("  ${k.padEnd(width - 2)}  $v") }
        }
    }

    private fun details(c: Checkpoint) {
        val files = c.files()
        val size = c.sizeBytes()
        if (json) {
            val base = checkpointJson(c, Result.success(size))
            printJson(JsonObject(base + ("files" to buildJsonArray {
                files.forEach { f -> add(buildJsonObject { put("path", f.path); put("size", f.size); put("sha256", f.sha256) }) }
            })))
            return
        }
        val lines = listOf(
            "checkpoint" to c.path,
            "location" to c.location,
            "epoch" to c.epoch.toString() + (c.batch?.let { ", batch $it" } ?: " (epoch end)"),
            "step" to c.step.toString(),
            "kind" to c.kind.name.lowercase(Locale.ROOT) + (c.modelClass?.let { " ($it)" } ?: ""),
            "created" to c.createdAt.toString(),
            "monitor" to (c.monitor?.let { "$it = ${Text.metric(c.monitorValue)}" } ?: "none"),
            "marks" to marks(c).ifEmpty { "-" },
            "metrics" to c.metrics.toSortedMap().entries.joinToString(", ") { "${it.key} ${Text.metric(it.value)}" },
            "metadata" to "checkpoint.json sha256 ${c.metadataSha256}",
            "size" to "${Text.size(size)} in ${count(files.size + 1, "file")}",
        )
        val width = lines.maxOf { it.first.length }
        lines.forEach { (k, v) -> out.println("${k.padEnd(width)}  $v") }
        Text.table(listOf("FILE", "SIZE", "SHA256"), files.map { listOf(it.path, Text.size(it.size), it.sha256) }, setOf(1))
            .forEach { out.println("  $it") }
    }
}

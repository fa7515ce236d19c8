package dev.ckpt.cli

import dev.ckpt.Checkpoint
import dev.ckpt.CheckpointStatus
import dev.ckpt.CheckpointVerification
import dev.ckpt.Checkpoints
import dev.ckpt.CorruptRunException
import dev.ckpt.core.policy.Retention
import kotlin.time.toJavaDuration
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.add
import kotlinx.serialization.json.buildJsonArray
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put
import kotlinx.serialization.json.putJsonArray
import kotlinx.serialization.json.putJsonObject
import picocli.CommandLine.Command
import picocli.CommandLine.Option
import picocli.CommandLine.Parameters
import java.nio.file.Path
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

@Command(name = "best", description = ["Print the location of the run's best checkpoint."])
internal class BestCommand : RunCommand() {
    override fun call(): Int {
        val best = open().best()
        if (json) printJson(checkpointJson(best, sizeOf(best))) else out.println(best.location)
        return ExitCodes.OK
    }
}

@Command(
    name = "verify",
    description = ["Re-hash every file of every checkpoint and check the metric history; exit 1 naming each damaged file."],
)
internal class VerifyCommand : RunCommand() {
    @Option(
        names = ["--progress"], negatable = true,
        description = ["Draw a progress bar on stderr when verifying takes more than a moment (default: when stderr is a terminal)."],
    )
    var progress: Boolean? = null

    override fun call(): Int {
        val run = open()
        val byPath = run.all.associateBy { it.path }
        val showProgress = progress ?: (System.console() != null)
        val report = ProgressLine(err, "verifying", "checkpoints", run.all.size, enabled = showProgress && !json).use { bar ->
            run.verify { done, _, _ -> bar.step(done) }
        }
        val history = try {
            Result.success(run.history())
        } catch (e: CorruptRunException) {
            Result.failure(e)
        }
        // Verifying takes no lock: a training may release a checkpoint meanwhile. One the run no longer lists is gone
        // by design, not damaged.
        val released = if (report.allOk) emptySet() else releasedSince(report.results, Checkpoints.open(this.run).all.map { it.path }.toSet())
        val damaged = report.results.count { it.status != CheckpointStatus.Ok && it.path !in released }
        if (json) {
            printJson(buildJsonObject {
                put("run", run.location)
                put("ok", damaged == 0 && history.isSuccess)
                put("checkpoints", JsonArray(report.results.map { statusJson(it, byPath.getValue(it.path), it.path in released) }))
                putJsonObject("history") {
                    put("ok", history.isSuccess)
                    history.onSuccess { put("epochs", it.size) }
                    history.exceptionOrNull()?.let { put("problem", it.message) }
                }
            })
        } else {
            for (result in report.results) out.println(if (result.path in released) "released    ${result.path} (by the run's writer, while verifying)" else statusLine(result))
            history.onSuccess { out.println("ok          history.jsonl (${count(it.size, "epoch")})") }
            history.onFailure { out.println("DAMAGED     history.jsonl") }
            out.println(
                "${count(report.results.size, "checkpoint")} verified: ${report.results.size - damaged} intact, $damaged damaged" +
                    if (history.isFailure) "; history.jsonl damaged" else "",
            )
        }
        for (result in report.results.filter { it.path !in released }) problem(result, byPath.getValue(result.path))?.let(::warn)
        history.exceptionOrNull()?.let { warn(it.message.orEmpty()) }
        return if (damaged == 0 && history.isSuccess) ExitCodes.OK else ExitCodes.DAMAGED_CHECKPOINTS
    }

    private fun statusLine(result: CheckpointVerification): String = when (val s = result.status) {
        CheckpointStatus.Ok -> "ok          ${result.path}"
        is CheckpointStatus.Corrupt -> "CORRUPT     ${result.path}: ${s.file}"
        is CheckpointStatus.Incomplete -> "INCOMPLETE  ${result.path}: ${s.missingFile} is missing"
        CheckpointStatus.Missing -> "MISSING     ${result.path}"
    }

    /** Who recorded a file's digest: the manifest for a checkpoint's `checkpoint.json`, that file for the rest. */
    private fun recorder(file: String): String = if (file == "checkpoint.json") "the manifest" else "the checkpoint"

    /** One line naming the damaged file, or null when intact. */
    private fun problem(result: CheckpointVerification, c: Checkpoint): String? = when (val s = result.status) {
        CheckpointStatus.Ok -> null
        is CheckpointStatus.Corrupt -> {
            val hashes = SHA256.matches(s.expected) && SHA256.matches(s.actual)
            "${c.location}/${s.file} is corrupt: " +
                if (hashes) "its sha256 is ${s.actual}, but ${recorder(s.file)} recorded ${s.expected}" else "expected ${s.expected}, found: ${s.actual}"
        }
        is CheckpointStatus.Incomplete -> "${c.location}/${s.missingFile} is missing: checkpoint ${c.path} is incomplete"
        CheckpointStatus.Missing -> "${c.location} is missing: the manifest lists checkpoint ${c.path}, but it is not there"
    }

    private fun statusJson(result: CheckpointVerification, c: Checkpoint, released: Boolean): JsonObject = buildJsonObject {
        put("path", result.path)
        put("location", c.location)
        if (released) {
            put("status", "released")
            return@buildJsonObject
        }
        when (val s = result.status) {
            CheckpointStatus.Ok -> put("status", "ok")
            is CheckpointStatus.Corrupt -> {
                put("status", "corrupt"); put("file", s.file); put("expected", s.expected); put("actual", s.actual)
            }
            is CheckpointStatus.Incomplete -> {
                put("status", "incomplete"); put("file", s.missingFile)
            }
            CheckpointStatus.Missing -> put("status", "missing")
        }
        problem(result, c)?.let { put("problem", it) }
    }

    internal companion object {
        private val SHA256 = Regex("[0-9a-f]{64}")

        /** The checkpoints that did not verify because the run's writer released them since: [listedNow] lacks them. */
        fun releasedSince(results: List<CheckpointVerification>, listedNow: Set<String>): Set<String> =
            results.filter { it.status != CheckpointStatus.Ok && it.path !in listedNow }.map { it.path }.toSet()
    }
}

@Command(
    name = "prune",
    description = [
        "Release the checkpoints --keep-best, --keep-last and --keep-one-per do not keep.",
        "As training's retention: never the best or the latest, only checkpoints the manifest lists, never files ckpt",
        "did not write. Refused while a training holds the run.",
    ],
)
internal class PruneCommand : RunCommand() {
    @Option(names = ["--keep-best"], paramLabel = "K", description = ["Keep the K best checkpoints by the monitored metric."])
    var keepBest: Int? = null

    @Option(names = ["--keep-last"], paramLabel = "N", description = ["Keep the N most recent checkpoints."])
    var keepLast: Int? = null

    @Option(
        names = ["--keep-one-per"], paramLabel = "SPAN",
        description = [
            "Keep one checkpoint per SPAN for good (6h, 90m, PT6H): the first, then each one created at least SPAN",
            "after the previous one kept this way (TF's keep_checkpoint_every_n_hours).",
        ],
    )
    var keepOnePer: String? = null

    @Option(names = ["--dry-run"], description = ["Only print what would be released; change nothing."])
    var dryRun: Boolean = false

    override fun call(): Int {
        for ((option, value) in listOf("--keep-best" to keepBest, "--keep-last" to keepLast)) {
            if (value != null && value < 1) throw CliFailure(ExitCodes.USAGE, "$option must be at least 1, got $value")
        }
        val span = keepOnePer?.let(::span)
        if (keepBest == null && keepLast == null && span == null) {
            throw CliFailure(
                ExitCodes.USAGE,
                "give --keep-best K, --keep-last N and/or --keep-one-per SPAN (the best and the latest checkpoint are kept in any case)",
            )
        }
        val retention = Retention(keepBest, keepLast, null, span)
        val report = Checkpoints.prune(run, retention, dryRun)
        if (json) {
            printJson(buildJsonObject {
                put("run", report.location)
                put("dryRun", report.dryRun)
                put("retention", retention.summary())
                putJsonArray("released") { report.released.forEach { add(it) } }
                putJsonArray("kept") { report.kept.forEach { add(it) } }
                put("releasedBytes", report.releasedBytes)
                putJsonArray("errors") { report.errors.forEach { add(it) } }
            })
        } else {
            val verb = if (report.dryRun) "would release" else "released"
            report.released.forEach { out.println("$verb  $it") }
            out.println(
                "${retention.summary()}: $verb ${count(report.released.size, "checkpoint")} (${Text.size(report.releasedBytes)}), " +
                    "kept ${report.kept.size}: ${report.kept.joinToString(", ").ifEmpty { "none" }}",
            )
        }
        report.errors.forEach(::warn)
        return if (report.errors.isEmpty()) ExitCodes.OK else ExitCodes.IO_ERROR
    }

    private fun span(text: String): java.time.Duration {
        val parsed = kotlin.time.Duration.parseOrNull(text.trim())
        if (parsed == null || !parsed.isPositive()) {
            throw CliFailure(ExitCodes.USAGE, "--keep-one-per needs a positive span such as 6h, 90m or PT6H, got \"$text\"")
        }
        return parsed.toJavaDuration()
    }
}

@Command(name = "plot", description = ["Draw metrics over epochs from the run's history, marking best, kept and released checkpoints."])
internal class PlotCommand : RunCommand() {
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
}

internal fun count(n: Int, noun: String): String = "$n $noun" + if (n == 1) "" else "s"

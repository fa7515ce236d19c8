package dev.ckpt.cli

import dev.ckpt.Checkpoints
import dev.ckpt.core.policy.Retention
import kotlin.time.toJavaDuration
import kotlinx.serialization.json.add
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put
import kotlinx.serialization.json.putJsonArray
import picocli.CommandLine.Command
import picocli.CommandLine.Option

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

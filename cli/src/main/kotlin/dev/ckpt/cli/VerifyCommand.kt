package dev.ckpt.cli

import dev.ckpt.Checkpoint
import dev.ckpt.CheckpointStatus
import dev.ckpt.CheckpointVerification
import dev.ckpt.Checkpoints
import dev.ckpt.CorruptRunException
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put
import kotlinx.serialization.json.putJsonObject
import picocli.CommandLine.Command
import picocli.CommandLine.Option

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

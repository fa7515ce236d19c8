package dev.ckpt.cli

import dev.ckpt.Checkpoints
import dev.ckpt.CorruptRunException
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import kotlinx.serialization.json.Json

import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.boolean
import kotlinx.serialization.json.int
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.long
import java.nio.file.Files
import java.nio.file.NoSuchFileException

/** The commands in this JVM, on a run made by training the digits model: output, JSON and exit codes. */
class CommandsSpec : FunSpec({
    val run = CliRuns.trained
    val api = Checkpoints.open(run)
    val liveRun = lazy { LiveRun(Files.createTempDirectory("ckpt-live").resolve("digits")).start() }
    afterSpec { if (liveRun.isInitialized()) liveRun.value.close() }

    fun json(outcome: Outcome): JsonObject = withClue(outcome) { Json.parseToJsonElement(outcome.out).jsonObject }

    context("ls") {
        test("lists every checkpoint with epoch, step, kind, monitored value, best and latest marks, and size") {
            val result = ckpt("ls", run.toString())
            withClue(result) {
                result.exit shouldBe 0
                result.err shouldBe ""
                val lines = result.out.lines().filter { it.isNotBlank() }
                lines[0] shouldBe "run $run: ${api.all.size} checkpoints, monitor val_accuracy (max)"
                lines[1].split(Regex(" +")) shouldBe listOf("PATH", "EPOCH", "BATCH", "STEP", "KIND", "val_accuracy", "MARKS", "SIZE")
                lines.drop(2).map { it.split(Regex(" +")) } shouldBe api.all.map { c ->
                    listOfNotNull(
                        c.path, "${c.epoch}", "-", "${c.step}", "full", Text.metric(c.monitorValue),
                        listOfNotNull("best".takeIf { c.isBest }, "latest".takeIf { c.isLatest }).joinToString(",").ifEmpty { null },
                    ) + Text.size(c.sizeBytes()).split(" ")
                }
            }
        }

        test("--json gives every checkpoint's facts, with sizes in bytes") {
            val listed = json(ckpt("ls", run.toString(), "--json"))
            listed["run"]!!.jsonPrimitive.content shouldBe run.toString()
            listed["best"]!!.jsonPrimitive.content shouldBe api.best().path
            val checkpoints = listed["checkpoints"]!!.jsonArray.map { it.jsonObject }
            checkpoints.map { it["path"]!!.jsonPrimitive.content } shouldBe api.all.map { it.path }
            checkpoints.map { it["sizeBytes"]!!.jsonPrimitive.long } shouldBe api.all.map { it.sizeBytes() }
            checkpoints.map { it["epoch"]!!.jsonPrimitive.int } shouldBe api.all.map { it.epoch }
            checkpoints.map { it["best"]!!.jsonPrimitive.boolean } shouldBe api.all.map { it.isBest }
            checkpoints.map { it["metrics"]!!.jsonObject["val_accuracy"]!!.jsonPrimitive.content.toDouble() } shouldBe
                api.all.map { it.metrics.getValue("val_accuracy") }
        }
    }

    context("show") {
        test("the run's summary names the best and latest checkpoints, the history and the policy") {
            val result = ckpt("show", run.toString())
            result.exit shouldBe 0
            val lines = result.out.lines()
            val best = api.best()
            val released = api.history().flatMap { it.saved }.count { saved -> api.all.none { it.path == saved } }
            lines.first { it.startsWith("best ") }.substringAfter("best").trim() shouldBe
                "${best.path} (epoch ${best.epoch}, val_accuracy ${"%.4f".format(best.monitorValue)})"
            lines.first { it.startsWith("history ") }.substringAfter("history").trim() shouldBe "6 epochs (1..6), 6 saves, $released released"
            lines.first { it.trim().startsWith("retention") }.trim().split(Regex(" +")) shouldBe listOf("retention", "best:1,last:4,everyNthEpoch:null")
        }

        withData(nameFn = { "a checkpoint chosen by $it shows its metadata and files" }, "path", "best", "latest") { how ->
            val c = when (how) {
                "best" -> api.best()
                "latest" -> api.latest()
                else -> api.all.first()
            }
            val result = ckpt("show", run.toString(), if (how == "path") c.path else how)
            withClue(result) {
                result.exit shouldBe 0
                val lines = result.out.lines()
                lines[0] shouldBe "checkpoint  ${c.path}"
                lines shouldContainLine "location    ${c.location}"
                lines shouldContainLine "created     ${c.createdAt}"
                lines shouldContainLine "metadata    checkpoint.json sha256 ${c.metadataSha256}"
                lines shouldContainLine "monitor     val_accuracy = ${"%.4f".format(c.monitorValue)}"
                for (file in c.files()) lines.any { it.trim().split(Regex(" +")) == listOf(file.path) + Text.size(file.size).split(" ") + file.sha256 } shouldBe true
            }
        }

        test("--json of a checkpoint lists its files with sizes and checksums") {
            val c = api.best()
            val shown = json(ckpt("show", run.toString(), c.path, "--json"))
            shown["files"]!!.jsonArray.map { f -> f.jsonObject.let { it["path"]!!.jsonPrimitive.content to it["sha256"]!!.jsonPrimitive.content } } shouldBe
                c.files().map { it.path to it.sha256 }
            shown["sizeBytes"]!!.jsonPrimitive.long shouldBe c.sizeBytes()
        }

        test("a checkpoint the run does not have is not found, listing the ones it has") {
            val result = ckpt("show", run.toString(), "e99")
            result.exit shouldBe ExitCodes.NOT_FOUND
            result.out shouldBe ""
            result.errLines shouldBe listOf(
                "ckpt show: run $run has no checkpoint \"e99\"; its checkpoints: ${api.all.joinToString(", ") { it.path }} (or best, latest)",
            )
        }
    }

    context("best") {
        test("prints the best checkpoint's location, and nothing else") {
            ckpt("best", run.toString()) shouldBe Outcome(0, api.best().location + "\n", "")
        }

        test("--json describes the best checkpoint") {
            val best = json(ckpt("best", run.toString(), "--json"))
            best["path"]!!.jsonPrimitive.content shouldBe api.best().path
            best["monitorValue"]!!.jsonPrimitive.content.toDouble() shouldBe api.best().monitorValue
        }
    }

    context("verify") {
        test("an intact run verifies with exit 0, one line per checkpoint") {
            val result = ckpt("verify", run.toString())
            withClue(result) {
                result.exit shouldBe 0
                result.err shouldBe ""
                result.out.lines().filter { it.isNotBlank() } shouldBe api.all.map { "ok          ${it.path}" } +
                    "ok          history.jsonl (6 epochs)" + "${api.all.size} checkpoints verified: ${api.all.size} intact, 0 damaged"
            }
        }

        test("--json reports every checkpoint ok") {
            val report = json(ckpt("verify", run.toString(), "--json"))
            report["ok"]!!.jsonPrimitive.boolean shouldBe true
            report["checkpoints"]!!.jsonArray.map { it.jsonObject["status"]!!.jsonPrimitive.content }.toSet() shouldBe setOf("ok")
        }
    }

    context("a damaged copy of the run") {
        data class Damage(val name: String, val apply: (java.nio.file.Path) -> Unit, val out: (Checkpoints) -> String, val err: (Checkpoints) -> String)

        val damages = listOf(
            Damage(
                "a flipped byte",
                { dir ->
                    val file = Checkpoints.open(dir).latest().directory.resolve("hidden_dense_bias.txt")
                    val bytes = Files.readAllBytes(file)
                    bytes[bytes.size / 2] = (bytes[bytes.size / 2].toInt() xor 0x01).toByte()
                    Files.write(file, bytes)
                },
                { r -> "CORRUPT     ${r.latest().path}: hidden_dense_bias.txt" },
                { r ->
                    val file = r.latest().files().first { it.path == "hidden_dense_bias.txt" }
                    val actual = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(r.latest().directory.resolve(file.path)))
                        .joinToString("") { "%02x".format(it) }
                    "ckpt verify: ${r.latest().location}/hidden_dense_bias.txt is corrupt: its sha256 is $actual, but the checkpoint recorded ${file.sha256}"
                },
            ),
            Damage(
                "a missing file",
                { dir -> Checkpoints.open(dir).best().let { Files.delete(it.directory.resolve(it.files().last().path)) } },
                { r -> "INCOMPLETE  ${r.best().path}: ${r.best().files().last().path} is missing" },
                { r -> "ckpt verify: ${r.best().location}/${r.best().files().last().path} is missing: checkpoint ${r.best().path} is incomplete" },
            ),
            Damage(
                "a missing checkpoint directory",
                { dir -> Checkpoints.open(dir).all.first().directory.toFile().deleteRecursively() },
                { r -> "MISSING     ${r.all.first().path}" },
                { r -> "ckpt verify: ${r.all.first().location} is missing: the manifest lists checkpoint ${r.all.first().path}, but it is not there" },
            ),
            Damage(
                "a damaged history line",
                { dir ->
                    val file = dir.resolve("history.jsonl")
                    val lines = Files.readAllLines(file)
                    Files.write(file, listOf(lines[0], lines[1].take(20)) + lines.drop(2))
                },
                { _ -> "DAMAGED     history.jsonl" },
                { r -> "ckpt verify: ${r.location}/history.jsonl: line 2 is not a history record: it is not valid JSON: " },
            ),
        )
        withData(nameFn = { "verify exits 1 naming the damaged file: ${it.name}" }, damages) { damage ->
            val copy = CliRuns.copy("verify-" + damage.name.replace(' ', '-'))
            damage.apply(copy)
            val damaged = Checkpoints.open(copy)
            val result = ckpt("verify", copy.toString())
            withClue(result) {
                result.exit shouldBe ExitCodes.DAMAGED_CHECKPOINTS
                result.out.lines() shouldContainLine damage.out(damaged)
                result.errLines.size shouldBe 1
                result.errLines.single() shouldStartWith damage.err(damaged)
            }
        }

        test("a torn last history line is ignored: the run still verifies") {
            val copy = CliRuns.copy("torn-history")
            Files.write(copy.resolve("history.jsonl"), "{\"epoch\":7,\"ste".toByteArray(), java.nio.file.StandardOpenOption.APPEND)
            val result = ckpt("verify", copy.toString())
            result.exit shouldBe 0
            result.out.lines() shouldContainLine "ok          history.jsonl (6 epochs)"
        }

        test("ls still lists a checkpoint whose checkpoint.json is gone, with an unknown size and a note") {
            val copy = CliRuns.copy("ls-missing-metadata")
            val first = Checkpoints.open(copy).all.first()
            Files.delete(first.directory.resolve("checkpoint.json"))
            val result = ckpt("ls", copy.toString())
            withClue(result) {
                result.exit shouldBe 0
                result.out.lines().first { it.startsWith(first.path) }.trimEnd().endsWith("?") shouldBe true
                result.errLines shouldBe listOf(
                    "ckpt ls: size of ${first.path} unknown: ${first.location}/checkpoint.json: is missing: checkpoint \"${first.path}\" is incomplete; run ckpt verify",
                )
            }
        }

        val commands = listOf(
            listOf("ls"), listOf("show"), listOf("best"), listOf("verify"), listOf("prune", "--keep-last", "1"),
            listOf("plot", "--out", "x.png"),
        )
        withData(nameFn = { "a truncated manifest stops ${it.first()} with exit 4 and the API's message" }, commands) { command ->
            val copy = CliRuns.copy("truncated-manifest-${command.first()}")
            val manifest = copy.resolve("manifest.json")
            Files.write(manifest, Files.readAllBytes(manifest).let { it.copyOf(it.size / 2) })
            val before = contents(copy)
            val expected = shouldThrow<CorruptRunException> { Checkpoints.open(copy) }.message
            val result = ckpt(command.first(), copy.toString(), *command.drop(1).toTypedArray())
            result shouldBe Outcome(ExitCodes.CORRUPT_RUN, "", "ckpt ${command.first()}: $expected\n")
            contents(copy) shouldBe before
        }

        withData(nameFn = { "a run that does not exist stops ${it.first()} with exit 3 and the API's message" }, commands) { command ->
            val missing = CliRuns.nowhere()
            val expected = shouldThrow<NoSuchFileException> { Checkpoints.open(missing) }.message
            ckpt(command.first(), missing.toString(), *command.drop(1).toTypedArray()) shouldBe
                Outcome(ExitCodes.NOT_FOUND, "", "ckpt ${command.first()}: $expected\n")
            Files.exists(missing) shouldBe false
        }
    }

    context("prune") {
        test("--dry-run prints what retention would release and changes nothing") {
            val copy = CliRuns.copy("prune-dry-run")
            val before = contents(copy)
            val plan = Checkpoints.prune(copy, dev.ckpt.core.policy.Retention(null, 1, null), dryRun = true)
            val result = ckpt("prune", copy.toString(), "--keep-last", "1", "--dry-run")
            withClue(result) {
                result.exit shouldBe 0
                result.out.lines().filter { it.startsWith("would release") } shouldBe plan.released.map { "would release  $it" }
                result.out.lines() shouldContainLine "keep last 1: would release ${plan.released.size} checkpoints (${Text.size(plan.releasedBytes)}), " +
                    "kept ${plan.kept.size}: ${plan.kept.joinToString(", ")}"
            }
            contents(copy) shouldBe before
        }

        test("releases what --keep-best and --keep-last do not keep, never the best or the latest; the run still verifies") {
            val copy = CliRuns.copy("prune")
            val before = Checkpoints.open(copy)
            val result = ckpt("prune", copy.toString(), "--keep-best", "1", "--keep-last", "1", "--json")
            withClue(result) {
                result.exit shouldBe 0
                val report = json(result)
                val kept = report["kept"]!!.jsonArray.map { it.jsonPrimitive.content }
                kept shouldContainExactly listOfNotNull(before.best().path, before.latest().path).distinct().sortedBy { p -> before.all.indexOfFirst { it.path == p } }
                report["released"]!!.jsonArray.map { it.jsonPrimitive.content } shouldBe before.all.map { it.path } - kept.toSet()
            }
            val after = Checkpoints.open(copy)
            after.all.map { it.path } shouldBe listOf(before.best().path, before.latest().path).distinct().sortedBy { p -> before.all.indexOfFirst { it.path == p } }
            after.pendingReleases shouldBe emptyList()
            ckpt("verify", copy.toString()).exit shouldBe 0
            (before.all.map { it.path } - after.all.map { it.path }.toSet()).forEach { Files.exists(copy.resolve(it)) shouldBe false }
        }

        test("--keep-one-per keeps the chain by createdAt: a run trained within an hour keeps its first, the best and the latest") {
            val copy = CliRuns.copy("prune-one-per")
            val before = Checkpoints.open(copy)
            val plan = Checkpoints.prune(copy, dev.ckpt.core.policy.Retention.keepAll().withKeepOnePer(java.time.Duration.ofHours(1)), dryRun = true)
            val result = ckpt("prune", copy.toString(), "--keep-one-per", "1h")
            withClue(result) {
                result.exit shouldBe 0
                result.out.lines() shouldContainLine "keep one per PT1H: released ${count(plan.released.size, "checkpoint")} (${Text.size(plan.releasedBytes)}), " +
                    "kept ${plan.kept.size}: ${plan.kept.joinToString(", ")}"
            }
            val keep = setOf(before.all.first().path, before.best().path, before.latest().path)
            Checkpoints.open(copy).all.map { it.path } shouldBe before.all.map { it.path }.filter { it in keep }
        }

        test("files ckpt did not write stay where they are") {
            val copy = CliRuns.copy("prune-foreign")
            val oldest = Checkpoints.open(copy).all.first()
            Files.writeString(oldest.directory.resolve("notes.txt"), "mine")
            Files.writeString(copy.resolve("README.txt"), "mine too")
            ckpt("prune", copy.toString(), "--keep-last", "1").exit shouldBe 0
            Files.readString(oldest.directory.resolve("notes.txt")) shouldBe "mine"
            Files.readString(copy.resolve("README.txt")) shouldBe "mine too"
            Files.list(oldest.directory).use { it.toList() }.map { it.fileName.toString() } shouldBe listOf("notes.txt")
        }

        withData(
            nameFn = { "prune ${it.first.joinToString(" ")} is refused: ${it.second}" },
            emptyList<String>() to "give --keep-best K, --keep-last N and/or --keep-one-per SPAN (the best and the latest checkpoint are kept in any case)",
            listOf("--keep-one-per", "0s") to "--keep-one-per needs a positive span such as 6h, 90m or PT6H, got \"0s\"",
            listOf("--keep-one-per", "six hours") to "--keep-one-per needs a positive span such as 6h, 90m or PT6H, got \"six hours\"",
            listOf("--keep-last", "0") to "--keep-last must be at least 1, got 0",
            listOf("--keep-best", "-2", "--keep-last", "3") to "--keep-best must be at least 1, got -2",
            listOf("--keep-last", "two") to "Invalid value for option '--keep-last': 'two' is not an int (see ckpt prune --help)",
        ) { (options, message) ->
            ckpt("prune", run.toString(), *options.toTypedArray()) shouldBe Outcome(ExitCodes.USAGE, "", "ckpt prune: $message\n")
        }
    }

    context("plot") {
        test("draws the monitored metric and loss by default into a PNG") {
            val out = Files.createTempDirectory("plot").resolve("history.png")
            val result = ckpt("plot", run.toString(), "--out", out.toString())
            withClue(result) {
                result.exit shouldBe 0
                result.out shouldBe "wrote $out (val_accuracy, loss over 6 epochs)\n"
                val image = javax.imageio.ImageIO.read(out.toFile())
                (image.width to image.height) shouldBe (1000 to 600)
            }
        }

        test("chosen metrics, an SVG and a size") {
            val out = Files.createTempDirectory("plot").resolve("losses.SVG")
            val result = ckpt("plot", run.toString(), "-m", "val_loss", "--metric", "loss", "-o", out.toString(), "--width", "640", "--height", "400", "--json")
            withClue(result) {
                result.exit shouldBe 0
                json(result)["metrics"]!!.jsonArray.map { it.jsonPrimitive.content } shouldBe listOf("val_loss", "loss")
                val svg = Files.readString(out)
                svg shouldContain "<svg"
                svg shouldContain "viewBox=\"0 0 640 400\""
            }
        }

        withData<Pair<List<String>, Pair<Int, String>>>(
            nameFn = { "plot ${it.first.joinToString(" ")} is refused with exit ${it.second.first}" },
            listOf("--out", "chart.jpg") to (ExitCodes.USAGE to "--out must end with .png or .svg, got \"chart.jpg\""),
            listOf("--out", "x.png", "-m", "val_acc") to
                (ExitCodes.USAGE to "--metric 'val_acc' is not in the history of run $run; logged metrics: loss, accuracy, val_loss, val_accuracy"),
            emptyList<String>() to (ExitCodes.USAGE to "Missing required option: '--out=FILE' (see ckpt plot --help)"),
            listOf("--out", "${CliRuns.nowhere()}/x.png") to
                (ExitCodes.NOT_FOUND to "${CliRuns.nowhere()}: directory does not exist; cannot write the chart ${CliRuns.nowhere()}/x.png there"),
        ) { (options, expected) ->
            ckpt("plot", run.toString(), *options.toTypedArray()) shouldBe Outcome(expected.first, "", "ckpt plot: ${expected.second}\n")
        }

        test("a run without history is not found") {
            val copy = CliRuns.copy("no-history")
            Files.delete(copy.resolve("history.jsonl"))
            ckpt("plot", copy.toString(), "--out", "x.png") shouldBe Outcome(
                ExitCodes.NOT_FOUND, "",
                "ckpt plot: run $copy has no metric history (history.jsonl): it was written before ckpt recorded one, or no epoch has ended yet\n",
            )
        }
    }

    context("a run being written") {
        val live = liveRun.value

        test("prune is refused while training holds the run, and the run is left as it was") {
            val before = contents(live.dir)
            val result = ckpt("prune", live.dir.toString(), "--keep-last", "1")
            withClue(result) {
                result.exit shouldBe ExitCodes.LOCKED
                result.out shouldBe ""
                result.errLines.single() shouldStartWith "ckpt prune: run ${live.dir} is already open for writing by pid ${ProcessHandle.current().pid()}"
                result.errLines.single() shouldContain "; a run accepts one writer at a time: wait for that training to finish, or write to another directory"
            }
            contents(live.dir) shouldBe before
        }

        test("ls and verify read the checkpoints committed so far") {
            ckpt("ls", live.dir.toString()).out.lines().filter { it.startsWith("e0") }.map { it.substringBefore(" ") } shouldBe listOf("e01", "e02")
            val verified = ckpt("verify", live.dir.toString())
            verified.exit shouldBe 0
            verified.out.lines() shouldContainLine "ok          history.jsonl (2 epochs)"
        }
    }

    context("usage") {
        test("no command prints the usage, with the exit codes, and exits 2") {
            val result = ckpt()
            result.exit shouldBe ExitCodes.USAGE
            result.err shouldContain "Usage: ckpt [-h] [COMMAND]"
            result.err shouldContain "\nExit codes:\n  0  success (verify: every checkpoint is intact)\n"
            result.err shouldContain "\n  4  the run's manifest.json (or another file it needs) is damaged\n"
        }

        test("--help prints the usage on stdout and exits 0") {
            val result = ckpt("verify", "--help")
            result.exit shouldBe 0
            result.out shouldContain "Usage: ckpt verify [-h] [--json] [--[no-]progress] RUN"
        }

        withData(
            nameFn = { "ckpt ${it.first.joinToString(" ")} is one line on stderr: ${it.second}" },
            listOf("ls") to "ckpt ls: Missing required parameter: 'RUN' (see ckpt ls --help)",
            listOf("ls", "a", "b") to "ckpt ls: Unmatched argument at index 2: 'b' (see ckpt ls --help)",
            listOf("ls", "--long", "a") to "ckpt ls: Unknown option: '--long' (see ckpt ls --help)",
            listOf("lst", "a") to "ckpt: Unmatched arguments from index 0: 'lst', 'a' (see ckpt --help)",
        ) { (args, line) ->
            ckpt(*args.toTypedArray()) shouldBe Outcome(ExitCodes.USAGE, "", line + "\n")
        }
    }
})

private infix fun List<String>.shouldContainLine(line: String) = withClue("expected the line\n$line\nin\n${joinToString("\n")}") {
    contains(line) shouldBe true
}


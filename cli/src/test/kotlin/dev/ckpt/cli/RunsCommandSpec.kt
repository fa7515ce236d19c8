package dev.ckpt.cli

import dev.ckpt.Checkpoints
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.double
import kotlinx.serialization.json.int
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import java.nio.file.Files
import java.nio.file.Path

/**
 * A sweep made of copies of the trained digits run, one of them edited to rank last: `ckpt runs`, `ckpt best
 * --across` and `ckpt plot` of several runs, in this JVM.
 */
class RunsCommandSpec : FunSpec({
    fun json(outcome: Outcome): JsonObject = withClue(outcome) { Json.parseToJsonElement(outcome.out).jsonObject }

    /** A copy of the trained run at [target]; with [bestValue], its manifest says its best scored that. */
    fun copy(target: Path, bestValue: Double? = null): Path {
        CliRuns.trained.toFile().copyRecursively(target.toFile())
        if (bestValue != null) {
            val file = target.resolve("manifest.json")
            val manifest = Json.parseToJsonElement(Files.readString(file)).jsonObject
            val best = manifest["best"]!!.jsonPrimitive.content
            val entries = manifest["checkpoints"]!!.jsonArray.map { e ->
                val entry = e.jsonObject
                if (entry["path"]!!.jsonPrimitive.content != best) entry else {
                    val facts = JsonObject(entry["facts"]!!.jsonObject + ("monitorValue" to JsonPrimitive(bestValue)))
                    JsonObject(entry + ("facts" to facts))
                }
            }
            Files.writeString(file, JsonObject(manifest + ("checkpoints" to kotlinx.serialization.json.JsonArray(entries))).toString())
        }
        return target
    }

    /** lr-a and lr-b (ranked last), a foreign directory, and a damaged run. */
    val sweep: Path by lazy {
        val root = Files.createTempDirectory("ckpt-sweep")
        copy(root.resolve("lr-a"))
        copy(root.resolve("nested/lr-b"), bestValue = 0.01)
        Files.createDirectories(root.resolve("notes"))
        Files.writeString(root.resolve("notes/plan.txt"), "three learning rates")
        Files.createDirectories(root.resolve("broken"))
        Files.writeString(root.resolve("broken/manifest.json"), "{ torn")
        root
    }
    val best = Checkpoints.open(CliRuns.trained).best()

    test("runs prints one table per monitor group, best first, names the damaged run and exits 4") {
        val result = ckpt("runs", sweep.toString())
        withClue(result) {
            result.exit shouldBe ExitCodes.CORRUPT_RUN
            val lines = result.out.lines()
            lines[0] shouldBe "runs under $sweep: 2 runs, 1 damaged"
            lines[2] shouldBe "val_accuracy (max)"
            lines[3].trim().split(Regex(" {2,}")) shouldBe listOf("#", "RUN", "STATE", "BEST", "BEST CHECKPOINT", "EPOCH", "STEP", "CHECKPOINTS")
            lines[4].trim().split(Regex(" +")) shouldBe listOf("1", "lr-a", "stopped", Text.metric(best.monitorValue), best.path, "6", "${Checkpoints.open(CliRuns.trained).latest().step}", "4")
            lines[5].trim().split(Regex(" +")).take(4) shouldBe listOf("2", "nested/lr-b", "stopped", "0.0100")
            lines[7] shouldBe "damaged"
            lines[8] shouldStartWith "  broken: ${sweep.resolve("broken/manifest.json")}: "
            result.errLines.single() shouldStartWith "ckpt runs: run ${sweep.resolve("broken")} is damaged: ${sweep.resolve("broken/manifest.json")}: "
        }
    }

    test("runs --json gives the groups with each run's rank, state, best and latest, and the damaged runs apart") {
        val listed = json(ckpt("runs", sweep.toString(), "--json"))
        listed.keys shouldBe setOf("root", "groups", "damaged", "warnings")
        listed["root"]!!.jsonPrimitive.content shouldBe sweep.toString()
        val group = listed["groups"]!!.jsonArray.single().jsonObject
        group["monitor"]!!.jsonPrimitive.content shouldBe "val_accuracy"
        group["direction"]!!.jsonPrimitive.content shouldBe "max"
        val runs = group["runs"]!!.jsonArray.map { it.jsonObject }
        runs.map { it["path"]!!.jsonPrimitive.content } shouldBe listOf("lr-a", "nested/lr-b")
        runs.map { it["rank"]!!.jsonPrimitive.int } shouldBe listOf(1, 2)
        runs.map { it["state"]!!.jsonPrimitive.content } shouldBe listOf("stopped", "stopped")
        val first = runs[0]
        first.keys shouldBe setOf("path", "location", "state", "rank", "monitor", "direction", "best", "latestEpoch", "latestStep", "checkpoints", "writer", "problem")
        first["location"]!!.jsonPrimitive.content shouldBe sweep.resolve("lr-a").toString()
        first["best"]!!.jsonObject shouldBe buildJsonObject {
            put("path", JsonPrimitive(best.path))
            put("location", JsonPrimitive(sweep.resolve("lr-a").resolve(best.path).toString()))
            put("value", JsonPrimitive(best.monitorValue))
        }
        first["latestEpoch"]!!.jsonPrimitive.int shouldBe 6
        first["checkpoints"]!!.jsonPrimitive.int shouldBe 4
        runs[1]["best"]!!.jsonObject["value"]!!.jsonPrimitive.double shouldBe 0.01
        val damaged = listed["damaged"]!!.jsonArray.single().jsonObject
        damaged["path"]!!.jsonPrimitive.content shouldBe "broken"
        damaged["state"]!!.jsonPrimitive.content shouldBe "damaged"
        damaged["problem"]!!.jsonPrimitive.content shouldContain "broken/manifest.json"
        listed["warnings"]!!.jsonArray.size shouldBe 0
    }

    test("runs --monitor with a metric no run monitors exits 3 naming the monitors there are") {
        val result = ckpt("runs", sweep.toString(), "--monitor", "val_loss")
        result.exit shouldBe ExitCodes.NOT_FOUND
        result.errLines.single() shouldBe "ckpt runs: no run under $sweep monitors val_loss; monitors: val_accuracy"
    }

    test("runs on an empty directory lists none and exits 0; on a missing one exits 3") {
        val empty = Files.createTempDirectory("ckpt-empty")
        val listed = ckpt("runs", empty.toString())
        withClue(listed) {
            listed.exit shouldBe 0
            listed.out shouldBe "runs under $empty: 0 runs\n"
        }
        val missing = ckpt("runs", empty.resolve("nope").toString())
        missing.exit shouldBe ExitCodes.NOT_FOUND
        missing.errLines.single() shouldContain empty.resolve("nope").toString()
    }

    test("best --across prints the best run's best checkpoint; with no run, exits 3") {
        val result = ckpt("best", sweep.toString(), "--across")
        withClue(result) {
            result.exit shouldBe 0
            result.out shouldBe sweep.resolve("lr-a").resolve(best.path).toString() + "\n"
        }
        val across = json(ckpt("best", sweep.toString(), "--across", "--json"))
        across["path"]!!.jsonPrimitive.content shouldBe "lr-a"
        across["rank"]!!.jsonPrimitive.int shouldBe 1
        ckpt("best", Files.createTempDirectory("ckpt-empty").toString(), "--across").exit shouldBe ExitCodes.NOT_FOUND
    }

    test("best --monitor without --across is a usage error") {
        val result = ckpt("best", sweep.toString(), "--monitor", "val_accuracy")
        result.exit shouldBe ExitCodes.USAGE
        result.errLines.single() shouldBe "ckpt best: --monitor ranks runs under a root: use it with --across"
    }

    test("plot of several runs draws one line per run with its best marked, and needs exactly one metric") {
        val out = Files.createTempDirectory("ckpt-plot").resolve("sweep.png")
        val runs = listOf(sweep.resolve("lr-a"), sweep.resolve("nested/lr-b"))
        val result = ckpt("plot", runs[0].toString(), runs[1].toString(), "--metric", "val_accuracy", "--out", out.toString())
        withClue(result) {
            result.exit shouldBe 0
            result.out shouldBe "wrote $out (val_accuracy of 2 runs)\n"
        }
        Files.readAllBytes(out).copyOf(4).toList() shouldBe listOf(0x89, 0x50, 0x4E, 0x47).map { it.toByte() }
        val chart = HistoryChart.runsChart(runs.map { Checkpoints.open(it) }, "val_accuracy", 1000, 600)
        chart.seriesMap.keys shouldBe setOf(
            "lr-a (best ${best.path}, epoch ${best.epoch})", "lr-a best",
            "lr-b (best ${best.path}, epoch ${best.epoch})", "lr-b best",
        )
        chart.seriesMap.getValue("lr-a best").yData.single() shouldBe best.metrics.getValue("val_accuracy")
        val none = ckpt("plot", runs[0].toString(), runs[1].toString(), "--out", out.toString())
        none.exit shouldBe ExitCodes.USAGE
        none.errLines.single() shouldBe "ckpt plot: with 2 runs, name exactly one metric to draw with --metric NAME"
    }

    test("a run being trained is listed as training, with its writer") {
        LiveRun(Files.createTempDirectory("ckpt-live-root").resolve("digits")).start().use { live ->
            val listed = json(ckpt("runs", live.dir.parent.toString(), "--json"))
            val run = listed["groups"]!!.jsonArray.single().jsonObject["runs"]!!.jsonArray.single().jsonObject
            run["state"]!!.jsonPrimitive.content shouldBe "training"
            run["writer"]!!.jsonPrimitive.content shouldBe "a writer in this process"
            run["latestEpoch"]!!.jsonPrimitive.int shouldBe 2
        }
    }
})

package dev.ckpt.cli

import dev.ckpt.Checkpoints
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.shouldBe
import java.nio.file.Files
import java.nio.file.StandardOpenOption

/** What the history chart draws: the metrics by epoch, and where the best, kept and released checkpoints are. */
class HistoryChartSpec : FunSpec({
    val run = Checkpoints.open(CliRuns.trained)
    val history = run.history()

    fun points(chart: org.knowm.xchart.XYChart, series: String): List<Pair<Int, Double>> =
        chart.seriesMap.getValue(series).let { s -> s.xData.map { it.toInt() }.zip(s.yData.toList()) }

    test("the default metrics are the monitored metric and loss") {
        HistoryChart.defaultMetrics(run) shouldBe listOf("val_accuracy", "loss")
    }

    test("each metric is drawn at every epoch with its logged value") {
        val chart = HistoryChart.chart(run, listOf("val_accuracy", "loss", "val_loss"), 800, 500)
        for (metric in listOf("val_accuracy", "loss", "val_loss")) {
            points(chart, metric) shouldBe history.map { it.epoch to it.metrics.getValue(metric) }
        }
    }

    test("losses and other metrics get their own axis, the monitored metric's on the left") {
        val chart = HistoryChart.chart(run, listOf("val_accuracy", "accuracy", "loss", "val_loss"), 800, 500)
        listOf("val_accuracy", "accuracy", "loss", "val_loss").map { chart.seriesMap.getValue(it).yAxisGroup } shouldBe listOf(0, 0, 1, 1)
        chart.styler.getYAxisGroupPosistion(1) shouldBe org.knowm.xchart.style.Styler.YAxisPosition.Right
        HistoryChart.chart(run, listOf("val_loss", "loss"), 800, 500).seriesMap.values.map { it.yAxisGroup }.toSet() shouldBe setOf(0)
    }

    test("checkpoints are marked on the monitored metric's curve: the best, the kept and the released") {
        val chart = HistoryChart.chart(run, listOf("loss", "val_accuracy"), 800, 500)
        val best = run.best()
        val kept = run.all.map { it.path }.toSet()
        fun at(paths: (String) -> Boolean) = history.filter { r -> r.saved.any(paths) }.map { it.epoch to it.metrics.getValue("val_accuracy") }.sortedBy { it.first }
        points(chart, "best checkpoint (epoch ${best.epoch})") shouldBe at { it == best.path }
        points(chart, "kept").sortedBy { it.first } shouldBe at { it in kept && it != best.path }
        points(chart, "released").sortedBy { it.first } shouldBe at { it !in kept }
        (points(chart, "released").size + points(chart, "kept").size + 1) shouldBe history.size
    }

    test("an epoch recorded twice (a resumed run trains it again) is drawn with its last record") {
        val copy = CliRuns.copy("chart-resumed")
        val last = Files.readAllLines(copy.resolve("history.jsonl")).last()
        val again = last.replace(Regex("\"val_accuracy\":[0-9.E-]+"), "\"val_accuracy\":0.5").replace(Regex("\"saved\":\\[[^]]*]"), "\"saved\":[]")
        Files.writeString(copy.resolve("history.jsonl"), again + "\n", StandardOpenOption.APPEND)
        val chart = HistoryChart.chart(Checkpoints.open(copy), listOf("val_accuracy"), 800, 500)
        points(chart, "val_accuracy").last() shouldBe (6 to 0.5)
        points(chart, "val_accuracy").size shouldBe 6
    }

    context("refusals name what is wrong") {
        val out = Files.createTempDirectory("chart")
        withData(
            nameFn = { it.third },
            Triple(listOf("val_acc"), "x.png", "metric 'val_acc' is not in the history of run ${run.location}; logged metrics: loss, accuracy, val_loss, val_accuracy"),
            Triple(emptyList(), "x.png", "name at least one metric to draw; the run logged loss, accuracy, val_loss, val_accuracy"),
            Triple(listOf("loss"), "x.gif", "the chart file must end with .png or .svg, got \"${out.resolve("x.gif")}\""),
        ) { (metrics, file, message) ->
            shouldThrow<IllegalArgumentException> { HistoryChart.write(run, metrics, out.resolve(file)) }.message shouldBe message
            Files.exists(out.resolve(file)) shouldBe false
        }
        test("a size outside 200..10000 x 150..10000 pixels") {
            shouldThrow<IllegalArgumentException> { HistoryChart.write(run, listOf("loss"), out.resolve("y.png"), 100, 100) }.message shouldBe
                "chart size must be 200..10000 x 150..10000 pixels, got 100x100"
        }
    }

    test("writing replaces an existing chart and leaves no temporary file") {
        val dir = Files.createTempDirectory("chart")
        val target = dir.resolve("history.png")
        Files.writeString(target, "old")
        HistoryChart.write(run, target) shouldBe target
        javax.imageio.ImageIO.read(target.toFile()).width shouldBe 1000
        Files.list(dir).use { s -> s.map { it.fileName.toString() }.toList() } shouldBe listOf("history.png")
    }
})

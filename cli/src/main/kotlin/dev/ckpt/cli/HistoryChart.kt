package dev.ckpt.cli

import dev.ckpt.Checkpoints
import dev.ckpt.EpochRecord
import org.knowm.xchart.AnnotationLine
import org.knowm.xchart.BitmapEncoder
import org.knowm.xchart.VectorGraphicsEncoder
import org.knowm.xchart.XYChart
import org.knowm.xchart.XYSeries
import org.knowm.xchart.style.Styler
import org.knowm.xchart.style.markers.SeriesMarkers
import java.awt.BasicStroke
import java.awt.Color
import java.awt.Font
import java.io.ByteArrayOutputStream
import java.io.IOException
import java.nio.file.AtomicMoveNotSupportedException
import java.nio.file.Files
import java.nio.file.NoSuchFileException
import java.nio.file.Path
import java.nio.file.StandardCopyOption
import java.util.Locale

/**
 * Draws a run's metric history ([Checkpoints.history]) over epochs, marking the epochs whose checkpoint is the
 * best, still kept, or released by retention, and writes it as PNG or SVG (by [out]'s extension).
 *
 * ```kotlin
 * val png = HistoryChart.write(Checkpoints.open("runs/digits"), Path.of("runs/digits/history.png"))
 * HistoryChart.write(run, listOf("val_loss", "loss"), Path.of("losses.svg"))
 * ```
 *
 * Loss-like metrics (`loss`, `val_loss`, names ending in `loss`) and the others get their own y axis when both
 * are drawn. It renders off-screen (no window, works headless) and replaces [out] in one rename. It deliberately
 * draws no batch-level curves: the history holds epoch ends.
 */
public object HistoryChart {
    /** The metrics drawn when none are named: the run's monitored metric and `loss`, those of them it logged. */
    @JvmStatic
    @Throws(IOException::class)
    public fun defaultMetrics(run: Checkpoints): List<String> {
        val logged = loggedMetrics(run.history())
        return listOfNotNull(monitorOf(run), "loss").distinct().filter { it in logged }.ifEmpty { logged.take(2) }
    }

    /** Writes the chart of [run]'s default metrics ([defaultMetrics]) to [out] (`.png` or `.svg`); returns [out]. */
    @JvmStatic
    @Throws(IOException::class)
    public fun write(run: Checkpoints, out: Path): Path = write(run, defaultMetrics(run), out)

    /**
     * Writes the chart of [metrics] of [run] to [out] (`.png` or `.svg`), [width] x [height] pixels; returns [out].
     *
     * @throws IllegalArgumentException when [out] is neither `.png` nor `.svg`, [metrics] is empty, or a metric is not in
     *   the run's history
     * @throws NoSuchElementException when the run has no metric history
     * @throws java.nio.file.NoSuchFileException when [out]'s directory does not exist
     */
    @JvmStatic
    @JvmOverloads
    @Throws(IOException::class)
    public fun write(run: Checkpoints, metrics: List<String>, out: Path, width: Int = 1000, height: Int = 600): Path =
        render(out, width, height) { w, h -> chart(run, metrics, w, h) }

    /**
     * Writes one [metric] of several [runs] on one chart to [out] (`.png` or `.svg`): one line per run, named by its
     * directory, and each run's best checkpoint marked on its line. Returns [out].
     *
     * ```kotlin
     * HistoryChart.writeRuns(listOf(Checkpoints.open("runs/sweep/lr-0.01"), Checkpoints.open("runs/sweep/lr-0.1")), "val_accuracy", Path.of("sweep.png"))
     * ```
     *
     * @throws IllegalArgumentException when [out] is neither `.png` nor `.svg`, or [metric] is in no run's history
     * @throws NoSuchElementException when a run has no metric history
     */
    @JvmStatic
    @JvmOverloads
    @Throws(IOException::class)
    public fun writeRuns(runs: List<Checkpoints>, metric: String, out: Path, width: Int = 1000, height: Int = 600): Path =
        render(out, width, height) { w, h -> runsChart(runs, metric, w, h) }

    /** Checks [out]'s format and the size, then draws the chart [draw] builds into [out], replacing it whole. */
    private fun render(out: Path, width: Int, height: Int, draw: (Int, Int) -> XYChart): Path {
        val format = Format.of(out)
        require(width in 200..10_000 && height in 150..10_000) { "chart size must be 200..10000 x 150..10000 pixels, got ${width}x$height" }
        val chart = draw(width, height)
        val bytes = ByteArrayOutputStream()
        when (format) {
            Format.PNG -> BitmapEncoder.saveBitmap(chart, bytes, BitmapEncoder.BitmapFormat.PNG)
            Format.SVG -> VectorGraphicsEncoder.saveVectorGraphic(chart, bytes, VectorGraphicsEncoder.VectorGraphicsFormat.SVG)
        }
        replace(out, bytes.toByteArray())
        return out
    }

    /** The series names of [runs]: each run's directory name, or its whole location where two names are the same. */
    internal fun runNames(runs: List<Checkpoints>): List<String> {
        val short = runs.map { it.location.trimEnd('/').substringAfterLast('/').substringAfterLast('\\').ifEmpty { it.location } }
        return runs.mapIndexed { i, run -> if (short.count { it == short[i] } > 1) run.location else short[i] }
    }

    internal fun runsChart(runs: List<Checkpoints>, metric: String, width: Int, height: Int): XYChart {
        val histories = runs.map { run ->
            run.history().ifEmpty {
                throw NoSuchElementException(
                    "run ${run.location} has no metric history (history.jsonl): it was written before ckpt recorded one, or no epoch has ended yet",
                )
            }
        }
        require(histories.any { h -> h.any { metric in it.metrics } }) {
            "metric '$metric' is in the history of none of the runs; logged metrics: ${histories.flatMap { loggedMetrics(it) }.distinct().joinToString(", ")}"
        }
        val chart = XYChart(width, height)
        chart.title = "$metric per epoch, ${runs.size} runs (best checkpoint of each marked)"
        chart.xAxisTitle = "epoch"
        chart.yAxisTitle = metric
        style(chart, histories.maxOf { h -> h.maxOf { it.epoch } })
        val names = runNames(runs)
        for ((i, run) in runs.withIndex()) {
            // A resumed run trains the epochs after its latest checkpoint again: the last record of an epoch counts.
            val byEpoch = histories[i].associateBy { it.epoch }.toSortedMap()
            val points = byEpoch.values.mapNotNull { r -> r.metrics[metric]?.takeIf { it.isFinite() }?.let { r.epoch to it } }
            if (points.isEmpty()) continue
            val color = LINE_COLORS[i % LINE_COLORS.size]
            val best = run.bestOrNull()
            val bestY = best?.let { byEpoch[it.epoch]?.metrics?.get(metric)?.takeIf { y -> y.isFinite() } }
            val label = names[i] + (if (best != null && bestY != null) " (best ${best.path}, epoch ${best.epoch})" else "")
            val line = chart.addSeries(label, points.map { it.first.toDouble() }.toDoubleArray(), points.map { it.second }.toDoubleArray())
            line.xySeriesRenderStyle = XYSeries.XYSeriesRenderStyle.Line
            line.marker = SeriesMarkers.NONE
            line.lineColor = color
            line.lineStyle = BasicStroke(2.2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND)
            if (best != null && bestY != null) {
                val mark = chart.addSeries("${names[i]} best", doubleArrayOf(best.epoch.toDouble()), doubleArrayOf(bestY))
                mark.xySeriesRenderStyle = XYSeries.XYSeriesRenderStyle.Scatter
                mark.marker = Mark.BEST.marker
                mark.markerColor = color
                mark.isShowInLegend = false
            }
        }
        return chart
    }

    /** The names the history logged, in first-seen order. */
    internal fun loggedMetrics(history: List<EpochRecord>): List<String> = history.flatMap { it.metrics.keys }.distinct()

    internal fun monitorOf(run: Checkpoints): String? = run.policySettings["monitor"] ?: run.all.firstNotNullOfOrNull { it.monitor }

    private enum class Format {
        PNG, SVG;

        companion object {
            fun of(out: Path): Format {
                val name = out.fileName?.toString().orEmpty().lowercase(Locale.ROOT)
                return when {
                    name.endsWith(".png") -> PNG
                    name.endsWith(".svg") -> SVG
                    else -> throw IllegalArgumentException("the chart file must end with .png or .svg, got \"$out\"")
                }
            }
        }
    }

    private fun lossLike(metric: String): Boolean = metric.endsWith("loss")

    internal fun chart(run: Checkpoints, metrics: List<String>, width: Int, height: Int): XYChart {
        val history = run.history()
        if (history.isEmpty()) {
            throw NoSuchElementException(
                "run ${run.location} has no metric history (history.jsonl): it was written before ckpt recorded one, " +
                    "or no epoch has ended yet",
            )
        }
        require(metrics.isNotEmpty()) { "name at least one metric to draw; the run logged ${loggedMetrics(history).joinToString(", ")}" }
        val logged = loggedMetrics(history)
        metrics.firstOrNull { it !in logged }?.let {
            throw IllegalArgumentException("metric '$it' is not in the history of run ${run.location}; logged metrics: ${logged.joinToString(", ")}")
        }
        // A resumed run trains the epochs after its latest checkpoint again: the last record of an epoch counts.
        val byEpoch = history.associateBy { it.epoch }.toSortedMap()
        val monitor = monitorOf(run)
        val anchor = if (monitor != null && monitor in metrics) monitor else metrics.first()
        val leftIsLoss = lossLike(anchor)
        val twoAxes = metrics.any { lossLike(it) != leftIsLoss }
        val best = run.bestOrNull()

        val chart = XYChart(width, height)
        chart.title = title(run, metrics, best?.let { "best ${it.path}" })
        chart.xAxisTitle = "epoch"
        style(chart, byEpoch.size)
        val groups = metrics.groupBy { if (lossLike(it) == leftIsLoss) 0 else 1 }
        fun axisTitle(group: Int): String = groups.getValue(group).singleOrNull() ?: if (lossLike(groups.getValue(group).first())) "loss" else "metric"
        if (twoAxes) {
            chart.setYAxisGroupTitle(0, axisTitle(0))
            chart.setYAxisGroupTitle(1, axisTitle(1))
            chart.styler.setYAxisGroupPosition(1, Styler.YAxisPosition.Right)
        } else {
            chart.yAxisTitle = axisTitle(0)
        }
        for ((group, members) in groups) {
            // An axis that shows one metric takes that metric's colour, so the reader knows which scale to read.
            members.singleOrNull()?.let { chart.styler.setYAxisGroupTitleColor(group, LINE_COLORS[metrics.indexOf(it) % LINE_COLORS.size]) }
        }
        best?.let { b ->
            // A faint vertical line through the best epoch, under the curves.
            if (b.epoch in byEpoch.keys) chart.addAnnotation(AnnotationLine(b.epoch.toDouble(), true, false))
        }

        for ((i, metric) in metrics.withIndex()) {
            val points = byEpoch.values.mapNotNull { r -> r.metrics[metric]?.takeIf { it.isFinite() }?.let { r.epoch to it } }
            if (points.isEmpty()) continue
            val series = chart.addSeries(metric, points.map { it.first.toDouble() }.toDoubleArray(), points.map { it.second }.toDoubleArray())
            series.xySeriesRenderStyle = XYSeries.XYSeriesRenderStyle.Line
            series.marker = SeriesMarkers.NONE
            series.lineColor = LINE_COLORS[i % LINE_COLORS.size]
            series.lineStyle = BasicStroke(if (metric == anchor) 2.6f else 1.8f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND)
            series.yAxisGroup = if (lossLike(metric) == leftIsLoss) 0 else 1
        }

        // Checkpoint marks sit on the anchor metric's curve, at the epoch whose save produced them.
        val kept = run.all.map { it.path }.toSet()
        val marks = linkedMapOf(Mark.BEST to ArrayList<Pair<Int, Double>>(), Mark.KEPT to ArrayList(), Mark.RELEASED to ArrayList())
        val seen = HashSet<String>()
        for (record in history.asReversed()) {
            val y = byEpoch[record.epoch]?.metrics?.get(anchor)?.takeIf { it.isFinite() } ?: continue
            for (path in record.saved) {
                if (!seen.add(path)) continue
                val mark = when (path) {
                    best?.path -> Mark.BEST
                    in kept -> Mark.KEPT
                    else -> Mark.RELEASED
                }
                marks.getValue(mark) += record.epoch to y
            }
        }
        for ((mark, points) in marks.entries.reversed()) {
            if (points.isEmpty()) continue
            val label = when (mark) {
                Mark.BEST -> "best checkpoint" + (best?.let { " (epoch ${it.epoch})" } ?: "")
                Mark.KEPT -> "kept"
                Mark.RELEASED -> "released"
            }
            val series = chart.addSeries(label, points.map { it.first.toDouble() }.toDoubleArray(), points.map { it.second }.toDoubleArray())
            series.xySeriesRenderStyle = XYSeries.XYSeriesRenderStyle.Scatter
            series.marker = mark.marker
            series.markerColor = mark.color
            series.yAxisGroup = if (lossLike(anchor) == leftIsLoss) 0 else 1
        }
        return chart
    }

    private fun title(run: Checkpoints, metrics: List<String>, best: String?): String {
        val name = run.location.trimEnd('/').substringAfterLast('/').substringAfterLast('\\').ifEmpty { run.location }
        return "$name: ${metrics.joinToString(", ")} per epoch" + (best?.let { " ($it)" } ?: "")
    }

    private fun style(chart: XYChart, epochs: Int) {
        val s = chart.styler
        s.chartBackgroundColor = Color.WHITE
        s.plotBackgroundColor = Color.WHITE
        s.plotBorderColor = Color(0xBDBDBD)
        s.plotGridLinesColor = Color(0xE6E6E6)
        s.plotGridLinesStroke = BasicStroke(1f)
        s.isPlotGridVerticalLinesVisible = false
        s.chartTitleFont = Font(Font.SANS_SERIF, Font.BOLD, 17)
        s.isChartTitleBoxVisible = false
        s.axisTitleFont = Font(Font.SANS_SERIF, Font.PLAIN, 14)
        s.axisTickLabelsFont = Font(Font.SANS_SERIF, Font.PLAIN, 12)
        s.legendFont = Font(Font.SANS_SERIF, Font.PLAIN, 13)
        s.legendPosition = Styler.LegendPosition.OutsideS
        s.legendLayout = Styler.LegendLayout.Horizontal
        s.legendBorderColor = Color.WHITE
        s.markerSize = 11
        s.antiAlias = true
        s.xAxisDecimalPattern = "0"
        s.xAxisMaxLabelCount = minOf(epochs, 20)
        s.yAxisDecimalPattern = "0.00"
        s.chartPadding = 14
        s.annotationLineColor = Color(0xD6, 0x27, 0x28, 0x66)
        s.annotationLineStroke = BasicStroke(1.2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, floatArrayOf(6f, 5f), 0f)
    }

    private enum class Mark(val marker: org.knowm.xchart.style.markers.Marker, val color: Color) {
        BEST(SeriesMarkers.DIAMOND, Color(0xD62728)),
        KEPT(SeriesMarkers.CIRCLE, Color(0x2CA02C)),
        RELEASED(SeriesMarkers.CROSS, Color(0x9E9E9E)),
    }

    private val LINE_COLORS = listOf(
        Color(0x1F77B4), Color(0xFF7F0E), Color(0x9467BD), Color(0x8C564B), Color(0x17BECF), Color(0xE377C2), Color(0x7F7F7F),
    )

    /** Writes [bytes] to a sibling, then renames it onto [out]: a reader never sees half a chart. */
    private fun replace(out: Path, bytes: ByteArray) {
        val target = out.toAbsolutePath().normalize()
        val dir = target.parent
        if (!Files.isDirectory(dir)) throw NoSuchFileException(dir.toString(), null, "directory does not exist; cannot write the chart $target there")
        val temp = Files.createTempFile(dir, ".${target.fileName}.", ".tmp")
        try {
            Files.write(temp, bytes)
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING)
            } catch (e: AtomicMoveNotSupportedException) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING)
            }
        } finally {
            Files.deleteIfExists(temp)
        }
    }
}

package dev.ckpt

import dev.ckpt.core.monitor.Direction

/**
 * Runs that monitor the same metric in the same direction, best first: only these are ranked against each other.
 *
 * ```kotlin
 * for (group in Checkpoints.runs("runs/sweep").groups) {
 *     println("${group.monitor} (${group.direction}): ${group.runs.first().path} is best")
 * }
 * ```
 *
 * Runs with a best value come first, ordered by [direction] (ties by path); runs without one (nothing marked best
 * yet, a NaN) follow by path. A group whose [monitor] is null holds the runs that monitor nothing: they are listed by
 * path, not ranked.
 */
public class RunGroup internal constructor(
    /** The monitored metric the runs share, or null for runs that monitor nothing. */
    public val monitor: String?,
    /** The direction the runs share, or null when their policies recorded none. */
    public val direction: Direction?,
    /** The runs, best first. */
    public val runs: List<RunSummary>,
) {
    /** The best run of the group, or null when no run of it has a best value (or the group is not ranked). */
    public fun bestOrNull(): RunSummary? = runs.firstOrNull()?.takeIf { ranked(it) }

    /** [run]'s place in the group, 1 for the best, or null when it is not ranked (no best value, or no direction). */
    public fun rankOf(run: RunSummary): Int? = if (ranked(run)) runs.indexOf(run).takeIf { it >= 0 }?.plus(1) else null

    private fun ranked(run: RunSummary): Boolean = direction != null && run.bestValue?.isNaN() == false

    /** `val_accuracy (max)`, or `no monitor`. */
    public val label: String get() = monitor?.let { it + (direction?.let { d -> " (${d.name.lowercase()})" } ?: "") } ?: "no monitor"

    override fun toString(): String = "RunGroup($label: ${runs.size} run(s))"

    internal companion object {
        fun of(monitor: String?, direction: Direction?, runs: List<RunSummary>): RunGroup {
            val group = RunGroup(monitor, direction, emptyList())
            val (ranked, rest) = runs.partition { group.ranked(it) }
            val byValue = compareBy<RunSummary> { it.bestValue!! }.let { if (direction == Direction.MAX) it.reversed() else it }
            return RunGroup(monitor, direction, ranked.sortedWith(byValue.thenBy { it.path }) + rest.sortedBy { it.path })
        }
    }
}

/**
 * Every run under a root, from [Checkpoints.runs]: grouped by monitor and direction, the damaged ones apart.
 *
 * ```kotlin
 * val runs = Checkpoints.runs("s3://ckpt-demo/sweeps/lr")
 * runs.damaged.forEach { println("${it.path}: ${it.problem}") }
 * println(runs.best().bestLocation)
 * ```
 *
 * It deliberately never ranks runs of different groups against each other: [best] refuses when there is more than
 * one, and [best] with a monitor name picks the group.
 */
public class RunList internal constructor(
    /** The root that was listed: a local directory, or an `s3://` prefix. */
    public val root: String,
    /** Every run found, damaged ones included, by path. */
    public val all: List<RunSummary>,
    /** What kept part of the root from being searched (an unreadable directory), one line each; empty normally. */
    public val warnings: List<String>,
) {
    /** The readable runs, grouped by monitor and direction; groups by monitor name, the unmonitored last. */
    public val groups: List<RunGroup> = all.filter { it.state != RunState.DAMAGED }
        .groupBy { it.monitor to it.direction }
        .map { (key, runs) -> RunGroup.of(key.first, key.second, runs) }
        .sortedWith(compareBy<RunGroup>({ it.monitor == null }, { it.monitor }, { it.direction?.name }))

    /** The runs whose manifest cannot be read, by path; [RunSummary.problem] says why. */
    public val damaged: List<RunSummary> get() = all.filter { it.state == RunState.DAMAGED }

    /**
     * The best run, when every ranked run monitors the same metric in the same direction.
     *
     * @throws NoSuchElementException when no run has a best checkpoint
     * @throws IllegalArgumentException when the runs monitor different metrics (or directions): name one with
     *   [best] (monitor)
     */
    public fun best(): RunSummary {
        val ranked = groups.filter { it.bestOrNull() != null }
        require(ranked.size <= 1) {
            "the runs under $root monitor different metrics, which ckpt does not rank against each other: " +
                ranked.joinToString("; ") { "${it.label}: ${it.runs.size} run(s)" } + "; name the monitor to rank by"
        }
        return ranked.singleOrNull()?.bestOrNull() ?: throw NoSuchElementException(noBest(null))
    }

    /**
     * The best run of those that monitor [monitor].
     *
     * @throws NoSuchElementException when no run monitoring [monitor] has a best checkpoint
     * @throws IllegalArgumentException when runs monitor [monitor] in both directions
     */
    public fun best(monitor: String): RunSummary {
        val ranked = groups.filter { it.monitor == monitor && it.bestOrNull() != null }
        require(ranked.size <= 1) {
            "the runs under $root monitor $monitor in different directions (${ranked.joinToString(", ") { it.label }}), which ckpt does not rank together"
        }
        return ranked.singleOrNull()?.bestOrNull() ?: throw NoSuchElementException(noBest(monitor))
    }

    private fun noBest(monitor: String?): String {
        val monitored = groups.mapNotNull { it.monitor }.distinct()
        val what = if (monitor == null) "no run" else "no run monitoring $monitor"
        return "$what under $root has a best checkpoint (${all.size} run(s) found" +
            (if (monitored.isEmpty()) "" else "; monitors: ${monitored.joinToString(", ")}") + ")"
    }

    override fun toString(): String = "RunList($root: ${all.size} run(s), ${groups.size} group(s), ${damaged.size} damaged)"
}

package dev.ckpt

/**
 * What saving cost a [CheckpointCallback] so far, across its `fit` calls: how many saves, and where the time went.
 *
 * ```kotlin
 * val stats = saver.stats
 * println("${stats.saves} saves, ${stats.trainingThreadMillis} ms on the training thread, ${stats.waitMillis} ms waiting")
 * ```
 *
 * With background saves (the default), the training thread pays for deciding and copying the model's variables
 * ([trainingThreadNanos]) and, when a save comes before the previous one finished, for waiting ([waitNanos]); the
 * writing itself ([writeNanos]) runs on the writer thread. With `async = false` the writing is on the training
 * thread too. It deliberately does not count the per-batch bookkeeping between save points (tens of nanoseconds).
 */
public class SaveStats internal constructor(
    /** Checkpoints committed. */
    public val saves: Int,
    /** Saves that failed (reported per `onSaveError`). */
    public val failures: Int,
    /** Time the training thread spent at save points: deciding, copying variables, waiting, and inline writes. */
    public val trainingThreadNanos: Long,
    /**
     * Time the training thread spent waiting for a save in flight: at save points (also counted in
     * [trainingThreadNanos]) and at train end or close, which wait for the last save (not counted there).
     */
    public val waitNanos: Long,
    /** Time spent writing checkpoints (files, `checkpoint.json`, manifest, releases), on whichever thread wrote them. */
    public val writeNanos: Long,
) {
    /** [trainingThreadNanos] in milliseconds. */
    public val trainingThreadMillis: Double get() = trainingThreadNanos / 1e6

    /** [waitNanos] in milliseconds. */
    public val waitMillis: Double get() = waitNanos / 1e6

    /** [writeNanos] in milliseconds. */
    public val writeMillis: Double get() = writeNanos / 1e6

    internal fun copy(
        saves: Int = this.saves,
        failures: Int = this.failures,
        trainingThreadNanos: Long = this.trainingThreadNanos,
        waitNanos: Long = this.waitNanos,
        writeNanos: Long = this.writeNanos,
    ): SaveStats = SaveStats(saves, failures, trainingThreadNanos, waitNanos, writeNanos)

    internal operator fun plus(other: SaveStats): SaveStats = SaveStats(
        saves + other.saves, failures + other.failures, trainingThreadNanos + other.trainingThreadNanos,
        waitNanos + other.waitNanos, writeNanos + other.writeNanos,
    )

    internal companion object {
        val NONE: SaveStats = SaveStats(0, 0, 0, 0, 0)
    }

    override fun equals(other: Any?): Boolean = other is SaveStats && saves == other.saves && failures == other.failures && trainingThreadNanos == other.trainingThreadNanos && waitNanos == other.waitNanos && writeNanos == other.writeNanos

    override fun hashCode(): Int = listOf(saves, failures, trainingThreadNanos, waitNanos, writeNanos).hashCode()

    override fun toString(): String = "SaveStats(saves=$saves, failures=$failures, trainingThreadNanos=$trainingThreadNanos, waitNanos=$waitNanos, writeNanos=$writeNanos)"
}

package dev.ckpt.kotlindl

import java.util.concurrent.atomic.AtomicBoolean
import java.util.concurrent.atomic.AtomicLong
import java.util.concurrent.atomic.AtomicReference

/**
 * Host arrays for a run's snapshots, reused from one save to the next so that a save point allocates no floats once
 * the run has saved once.
 *
 * ```
 * val buffers = SnapshotBuffers()
 * val snapshot = ModelSnapshot.take(model, kind, config, buffers) // training thread, at the save point
 * writer.commit(path, facts, snapshot.files(), change)              // writer thread
 * snapshot.release()                                                // once the commit no longer reads it
 * ```
 *
 * Arrays come back only through [Lease.release], which the writer calls after its commit returned or failed, so a
 * lease never receives an array that a writer may still read: while the previous snapshot is unreleased (its save is
 * still running, or its wait was interrupted), the next lease allocates new arrays instead of waiting. One set of
 * arrays is kept, so memory stays bounded by the largest snapshot, plus one more while a save is in flight. It does
 * not clear arrays: each is reused only for a variable of exactly its size, which the copy overwrites entirely.
 */
internal class SnapshotBuffers {
    private val free = AtomicReference<Array<FloatArray?>?>()
    private val reused = AtomicLong()

    /** Arrays for one snapshot: the last released snapshot's, if no other lease took them. */
    fun lease(): Lease = Lease(free.getAndSet(null) ?: arrayOfNulls(0))

    /** How many arrays leases took from a released snapshot instead of allocating (tests and benchmarks read it). */
    fun reusedArrays(): Long = reused.get()

    /** One snapshot's arrays; the snapshot reads them until [release]. */
    inner class Lease internal constructor(private var arrays: Array<FloatArray?>) {
        private val released = AtomicBoolean()

        /** Whether [release] was called: the snapshot refuses to be read after it. */
        val isReleased: Boolean get() = released.get()

        /** An array of exactly [size] floats for the [index]-th variable: the previous snapshot's, or a new one. */
        fun array(index: Int, size: Int): FloatArray {
            check(!released.get()) { "snapshot buffers were released; a released snapshot cannot take more" }
            if (index >= arrays.size) arrays = arrays.copyOf(index + 1)
            arrays[index]?.takeIf { it.size == size }?.let {
                reused.incrementAndGet()
                return it
            }
            return FloatArray(size).also { arrays[index] = it }
        }

        /** The array [array] gave for the [index]-th variable, or null (tests check identity). */
        fun arrayAt(index: Int): FloatArray? = arrays.getOrNull(index)

        /** Hands the arrays to the next lease; only the first call counts. Call when nothing will read them again. */
        fun release() {
            if (released.compareAndSet(false, true)) free.set(arrays)
        }
    }
}

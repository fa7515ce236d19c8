package dev.ckpt.storage

import dev.ckpt.RunLockedException
import dev.ckpt.runTakenOver
import java.io.IOException
import java.security.SecureRandom
import java.time.Clock
import java.time.Duration
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.Executors
import java.util.concurrent.ScheduledExecutorService
import java.util.concurrent.TimeUnit

/** How a run on S3 keeps to one writer, decided at open by [ConditionalWrites.probe]. */
internal enum class S3WriteMode {
    /** The server honours `If-None-Match` and `If-Match`: the manifest and every object are written conditionally. */
    CONDITIONAL,

    /** The server ignores them: a lease object (`run.lock`) with an expiry keeps other writers out, without atomicity. */
    LEASE,
}

/**
 * Finds out, once per bucket and client, whether the server honours conditional writes: it creates a probe object
 * (`.conditional-write-probe.ckpt-tmp-<hex>` at the run root), tries to create it again with `If-None-Match: *`
 * and to replace it with `If-Match` on a wrong ETag, and deletes it. Both must be refused with 412. S3 has
 * honoured both since 2024; S3Proxy 2.6.0 and some S3-compatible servers answer 200 and overwrite.
 */
internal object ConditionalWrites {
    const val PROBE_TARGET: String = "conditional-write-probe"
    private val PROBE_TEXT = "ckpt conditional-write probe, deleted right away; safe to delete".toByteArray()
    private val known = ConcurrentHashMap<Any, S3WriteMode>()

    fun isProbe(bytes: ByteArray): Boolean = bytes.size == PROBE_TEXT.size + 2 && bytes.copyOf(PROBE_TEXT.size).contentEquals(PROBE_TEXT)

    @Throws(IOException::class)
    fun probe(objects: S3Objects, run: S3Location): S3WriteMode = known[objects.identity]
        ?: run(objects, run).also { known[objects.identity] = it }

    private fun run(objects: S3Objects, run: S3Location): S3WriteMode {
        val key = run.key(Leftovers.temp(PROBE_TARGET))
        fun body(n: Int) = PROBE_TEXT + " $n".toByteArray()
        objects.put(key, body(1), S3Objects.Condition.Absent)
        try {
            val refusesCreate = refused(objects, key, body(1)) { objects.put(key, body(2), S3Objects.Condition.Absent) }
            val refusesReplace = refusesCreate &&
                refused(objects, key, body(1)) { objects.put(key, body(3), S3Objects.Condition.Matches("\"0123456789abcdef0123456789abcdef\"")) }
            return if (refusesReplace) S3WriteMode.CONDITIONAL else S3WriteMode.LEASE
        } finally {
            objects.delete(key)
        }
    }

    /** Whether [put] was refused, leaving [key] holding [unchanged]. */
    private fun refused(objects: S3Objects, key: String, unchanged: ByteArray, put: () -> Unit): Boolean = try {
        put()
        false
    } catch (e: S3Objects.PreconditionFailed) {
        true
    } catch (e: S3Objects.OutcomeUnknown) {
        objects.get(key)?.bytes?.contentEquals(unchanged) == true
    } catch (e: IOException) {
        false // any other answer (404 on If-Match, 501...) is not the conditional write ckpt relies on
    }
}

/**
 * The lease of a run on a server without conditional writes: `run.lock` holds the owner, a random token and an
 * expiry. Taking it: read it; refuse when another writer's lease has not expired; write ours; wait a moment; read
 * it back and refuse if it is not ours. A daemon thread renews it every third of its duration; every manifest
 * write checks it first.
 *
 * What it cannot do, without an atomic create: exclude two writers that write the lease within the same moment
 * (both may read their own token back), or a writer paused (GC, suspended VM) past its expiry while another takes
 * over. What it does: refuse a second training started while the first is alive, and let the next writer in once a
 * crashed writer's lease expired. Clocks of the writers' machines are compared; keep them in sync.
 */
internal class S3Lease private constructor(
    private val objects: S3Objects,
    private val run: S3Location,
    private val owner: String,
    private val clock: Clock,
    private val duration: Duration,
    private val warn: (String) -> Unit,
) : AutoCloseable {
    private val key = run.key(LOCK_FILE)
    private val token = "%016x".format(SecureRandom().nextLong())
    private val renewer: ScheduledExecutorService = Executors.newSingleThreadScheduledExecutor { r ->
        Thread(r, "ckpt-s3-lease $run").apply { isDaemon = true }
    }

    @Volatile
    private var lostTo: LeaseRecord? = null

    @Volatile
    private var closed = false

    private fun read(): LeaseRecord? = objects.get(key, Durable.METADATA_LIMIT)?.let { S3Formats.decodeLease(objects.describe(key), it.bytes) }

    private fun write() = objects.put(key, S3Formats.encode(LeaseRecord(owner, token, clock.instant().plus(duration))))

    private fun holderText(record: LeaseRecord): String = "${record.owner}, lease until ${record.expiresAt}"

    private fun acquire() {
        read()?.let { current ->
            if (current.token != token && current.expiresAt.isAfter(clock.instant())) throw RunLockedException(run.toString(), holderText(current))
        }
        write()
        Thread.sleep(settleMillis(duration))
        val back = read()
        if (back?.token != token) throw RunLockedException(run.toString(), back?.let { holderText(it) })
        val period = (duration.toMillis() / 3).coerceAtLeast(1)
        renewer.scheduleAtFixedRate({ renewQuietly() }, period, period, TimeUnit.MILLISECONDS)
    }

    /** Fails when the lease is no longer this writer's; renews it otherwise. Called before each manifest write. */
    @Synchronized
    fun check() {
        lostTo?.let { throw runTakenOver(run.toString(), holderText(it)) }
        val current = read()
        if (current == null || current.token != token) {
            current?.let { lostTo = it }
            throw runTakenOver(run.toString(), current?.let { holderText(it) })
        }
        write()
    }

    @Synchronized
    private fun renewQuietly() {
        if (closed || lostTo != null) return
        try {
            val current = read()
            if (current != null && current.token != token) lostTo = current else write()
        } catch (e: Exception) {
            warn("could not renew the lease of run $run (ckpt tries again): $e")
        }
    }

    @Synchronized
    override fun close() {
        if (closed) return
        closed = true
        renewer.shutdownNow()
        try {
            if (read()?.token == token) objects.delete(key)
        } catch (e: IOException) {
            warn("could not delete the lease ${objects.describe(key)} (it expires by itself): $e")
        }
    }

    companion object {
        fun acquire(objects: S3Objects, run: S3Location, owner: String, clock: Clock, duration: Duration, warn: (String) -> Unit): S3Lease {
            val lease = S3Lease(objects, run, owner, clock, duration, warn)
            try {
                lease.acquire()
            } catch (e: Throwable) {
                lease.renewer.shutdownNow()
                throw e
            }
            return lease
        }

        /** How long a new lease waits before reading itself back: a sixtieth of its duration, at most a second. */
        fun settleMillis(duration: Duration): Long = (duration.toMillis() / 60).coerceIn(1, 1_000)
    }
}

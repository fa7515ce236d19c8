package dev.ckpt.storage

import dev.ckpt.RunList
import dev.ckpt.RunSummary
import java.io.IOException
import java.time.Clock
import java.time.Duration
import java.time.Instant
import java.util.concurrent.Callable
import java.util.concurrent.ExecutionException
import java.util.concurrent.Executors

/**
 * [RunScan] for an `s3://` prefix: one paginated listing of every key under it (S3 answers 1,000 keys a request),
 * then one GET per run for its `manifest.json`, [threads] at a time. A prefix holding `manifest.json` (or a lease,
 * `run.lock`) is a run; keys below it belong to it.
 *
 * ```kotlin
 * val runs = S3RunScan.list(S3Support.store("s3://ckpt-demo/sweeps") as S3RunStore)
 * ```
 *
 * A run is training when its lease is live (servers without conditional writes: one more GET, for that run only),
 * or when a commit marker (`.<name>.ckpt-tmp-<hex>`) younger than [commitWindow] is under it: a checkpoint is being
 * written. With conditional writes a writer between two saves leaves no trace, so it shows as stopped; a marker older
 * than [commitWindow] is a crashed writer's, which its next writer cleans.
 */
internal object S3RunScan {
    @Throws(IOException::class)
    fun list(
        store: S3RunStore,
        clock: Clock = Clock.systemUTC(),
        commitWindow: Duration = S3Settings.leaseDuration(),
        threads: Int = 16,
    ): RunList {
        val root = store.run
        val objects = store.objects
        val keys = objects.listTimed(root.keyPrefix).map { (key, modified) -> root.relative(key) to modified }
        val candidates = keys.mapNotNull { (relative, _) -> runOf(relative) }.toSortedSet()
        val runs = candidates.filter { run -> candidates.none { other -> other != run && inside(run, other) } }.toSet()
        val leases = HashSet<String>()
        val commits = HashMap<String, String>()
        val since = clock.instant().minus(commitWindow)
        for ((relative, modified) in keys) {
            val run = owner(relative, runs) ?: continue
            val inRun = if (run.isEmpty()) relative else relative.removePrefix("$run/")
            if (inRun == LOCK_FILE) leases += run
            val name = inRun.substringAfterLast('/')
            if (Leftovers.parse(name)?.kind == Leftovers.Kind.TEMP && modified.isAfter(since)) commits[run] = inRun
        }
        val pool = Executors.newFixedThreadPool(threads.coerceIn(1, maxOf(1, runs.size))) { r -> Thread(r, "ckpt-runs $root").apply { isDaemon = true } }
        try {
            val futures = runs.sorted().map { run ->
                pool.submit(Callable { summarize(store, run, run in leases, commits[run], clock.instant()) })
            }
            val summaries = futures.map {
                try {
                    it.get()
                } catch (e: ExecutionException) {
                    throw (e.cause as? IOException) ?: e.cause ?: e
                }
            }
            return RunScan.listing(root.toString(), summaries.filterNotNull(), emptyList())
        } finally {
            pool.shutdownNow()
        }
    }

    private fun summarize(store: S3RunStore, run: String, leased: Boolean, commit: String?, now: Instant): RunSummary? {
        val root = store.run
        val objects = store.objects
        val location = if (run.isEmpty()) root.toString() else root.describe(run)
        fun key(relative: String) = root.key(if (run.isEmpty()) relative else "$run/$relative")
        fun describe(relative: String) = "$location/$relative"
        val holder = lease(store, key(LOCK_FILE), leased, now) ?: commit?.let { "a writer committing ${describe(it)}" }
        val bytes = try {
            objects.get(key(MANIFEST_FILE), Durable.METADATA_LIMIT)?.bytes ?: if (leased) null else return null
        } catch (e: IOException) {
            // One unreadable manifest (refused as oversized, or a GET S3 refused) makes that run damaged, not the listing.
            return RunScan.damaged(run.ifEmpty { "." }, location, e, holder)
        }
        return RunScan.of(run.ifEmpty { "." }, location, ::describe, bytes, holder)
    }

    /** The lease's holder while it is live, or null. */
    private fun lease(store: S3RunStore, key: String, leased: Boolean, now: Instant): String? {
        if (!leased) return null
        val fetched = store.objects.get(key, Durable.METADATA_LIMIT) ?: return null
        val lease = try {
            S3Formats.decodeLease(store.objects.describe(key), fetched.bytes)
        } catch (e: dev.ckpt.CorruptRunException) {
            return null
        }
        return if (lease.expiresAt.isAfter(now)) "${lease.owner}, lease until ${lease.expiresAt}" else null
    }

    /** The run a `manifest.json` or `run.lock` key names (run-relative to the root; "" for the root), or null. */
    private fun runOf(relative: String): String? = when {
        relative == MANIFEST_FILE || relative == LOCK_FILE -> ""
        relative.endsWith("/$MANIFEST_FILE") -> relative.removeSuffix("/$MANIFEST_FILE")
        relative.endsWith("/$LOCK_FILE") -> relative.removeSuffix("/$LOCK_FILE")
        else -> null
    }

    private fun inside(path: String, run: String): Boolean = run.isEmpty() || path.startsWith("$run/")

    /** The run [relative] belongs to, or null. */
    private fun owner(relative: String, runs: Set<String>): String? {
        if ("" in runs) return ""
        var at = relative.lastIndexOf('/')
        while (at > 0) {
            val candidate = relative.substring(0, at)
            if (candidate in runs) return candidate
            at = relative.lastIndexOf('/', at - 1)
        }
        return null
    }
}

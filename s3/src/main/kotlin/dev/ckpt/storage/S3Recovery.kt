package dev.ckpt.storage

import dev.ckpt.CorruptRunException

/**
 * Finishes or rolls back what a crashed writer of the marker protocol left in a run on S3, guided only by the
 * pending markers (`.<name>.ckpt-tmp-<hex>`) it wrote before each checkpoint:
 * - the manifest records the version the marker describes (the crash came after the manifest write): the versions
 *   it replaced are deleted, fenced to what their own `checkpoint.json` lists, never one the manifest lists;
 * - otherwise the write never counted: exactly the keys the marker lists are deleted (unless they hold a
 *   checkpoint the manifest lists);
 * then the marker itself. A leftover conditional-write probe object is deleted too.
 *
 * Objects no marker names are never touched: a prefix without `checkpoint.json` that no marker explains is not
 * ckpt's to judge. A marker that does not parse, or sits elsewhere than beside the checkpoint it names, is left
 * in place with a warning.
 */
internal class S3Recovery(private val store: S3RunStore, private val manifest: Manifest, private val hook: (StorageStep) -> Unit) {
    private val objects = store.objects
    private val run = store.run
    private val entries = manifest.owned + manifest.releasing
    private val listedShas = entries.mapTo(HashSet()) { it.checkpointSha256 }
    private val done = ArrayList<String>()

    fun run(): List<String> {
        val markers = objects.list(run.keyPrefix).filter { key ->
            val relative = run.relative(key)
            RelativePaths.problem(relative) == null && Leftovers.parse(relative.substringAfterLast('/'))?.kind == Leftovers.Kind.TEMP
        }
        for (key in markers) recover(key)
        return done
    }

    private fun recover(key: String) {
        val relative = run.relative(key)
        val bytes = objects.get(key, Durable.METADATA_LIMIT)?.bytes ?: return
        if (ConditionalWrites.isProbe(bytes)) {
            objects.delete(key)
            done += "removed $relative, a conditional-write probe an interrupted open left"
            return
        }
        val pending = try {
            S3Formats.decodePending(objects.describe(key), bytes)
        } catch (e: CorruptRunException) {
            store.warnings("left ${objects.describe(key)} in place: ${e.problem}")
            return
        }
        val beside = PendingWrite.parentOf(pending.path) == PendingWrite.parentOf(relative) &&
            Leftovers.parse(relative.substringAfterLast('/'))?.target == pending.path.substringAfterLast('/')
        if (!beside || (pending.runId != null && pending.runId != manifest.runId)) {
            store.warnings("left ${objects.describe(key)} in place: it describes a write of checkpoint \"${pending.path}\" " +
                "of run ${pending.runId}, not one beside it in run ${manifest.runId}")
            return
        }
        hook(StorageStep.DELETE_FILES)
        val storedSha = digest(pending.storedAt)
        val recorded = storedSha != null && entries.any { it.path == pending.path && it.checkpointSha256 == storedSha }
        if (recorded) {
            for (version in pending.replaces) {
                if (version == pending.storedAt || digest(version)?.let { it in listedShas } == true) continue
                if (store.deleteStored(version)) done += "removed a previous version of ${pending.path} that an interrupted overwrite left"
            }
        } else if (storedSha == null || storedSha !in listedShas) {
            // checkpoint.json first: the prefix stops being a complete checkpoint before anything else goes.
            for (file in pending.files.asReversed()) objects.delete(run.key("${pending.storedAt}/$file"))
            done += "removed ${pending.storedAt}, the objects of a write of ${pending.path} that ended before manifest.json recorded it"
        }
        objects.delete(key)
    }

    /** SHA-256 of the `checkpoint.json` stored at [storedAt], or null when there is none. */
    private fun digest(storedAt: String): String? =
        objects.get(run.key("$storedAt/$METADATA_FILE"), Durable.METADATA_LIMIT)?.bytes?.let { Durable.sha256(it) }
}

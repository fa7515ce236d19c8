package dev.ckpt.storage

import dev.ckpt.InternalCkptApi
import java.util.concurrent.ThreadLocalRandom

/**
 * Names of ckpt's own files beside a checkpoint: `.<name>.ckpt-tmp-<16 hex>` (a checkpoint or manifest being
 * written; on an object store, the marker of a write in progress), `.<name>.ckpt-bak-<16 hex>` (the previous
 * checkpoint moved aside during an overwrite) and `.<name>.ckpt-ver-<16 hex>` (on an object store, a version of
 * the checkpoint written beside the one it replaces, because nothing there can be renamed). Cleanup at open
 * touches only names that match these patterns exactly.
 */
@InternalCkptApi
public object Leftovers {
    private val PATTERN = Regex("""^\.(.+)\.ckpt-(tmp|bak|ver)-([0-9a-f]{16})$""")

    public enum class Kind { TEMP, BACKUP, VERSION }

    public data class Name(public val target: String, public val kind: Kind)

    public fun parse(fileName: String): Name? {
        val match = PATTERN.matchEntire(fileName) ?: return null
        val kind = when (match.groupValues[2]) {
            "tmp" -> Kind.TEMP
            "bak" -> Kind.BACKUP
            else -> Kind.VERSION
        }
        return Name(match.groupValues[1], kind)
    }

    public fun temp(target: String): String = ".$target.ckpt-tmp-${suffix()}"

    public fun backup(target: String): String = ".$target.ckpt-bak-${suffix()}"

    public fun version(target: String): String = ".$target.ckpt-ver-${suffix()}"

    private fun suffix(): String = "%016x".format(ThreadLocalRandom.current().nextLong())
}

package dev.ckpt.storage

import java.util.concurrent.ThreadLocalRandom

/**
 * Names of ckpt's own transient files: `.<name>.ckpt-tmp-<16 hex>` (a checkpoint or manifest being
 * written) and `.<name>.ckpt-bak-<16 hex>` (the previous checkpoint moved aside during an overwrite).
 * Cleanup at open touches only names that match these patterns exactly.
 */
internal object Leftovers {
    private val PATTERN = Regex("""^\.(.+)\.ckpt-(tmp|bak)-([0-9a-f]{16})$""")

    enum class Kind { TEMP, BACKUP }

    data class Name(val target: String, val kind: Kind)

    fun parse(fileName: String): Name? {
        val match = PATTERN.matchEntire(fileName) ?: return null
        val kind = if (match.groupValues[2] == "tmp") Kind.TEMP else Kind.BACKUP
        return Name(match.groupValues[1], kind)
    }

    fun temp(target: String): String = ".$target.ckpt-tmp-${suffix()}"

    fun backup(target: String): String = ".$target.ckpt-bak-${suffix()}"

    private fun suffix(): String = "%016x".format(ThreadLocalRandom.current().nextLong())
}

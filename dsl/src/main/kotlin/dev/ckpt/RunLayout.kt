package dev.ckpt

import dev.ckpt.core.policy.CheckpointPolicy
import java.nio.file.Path

/**
 * Where a policy's checkpoints live: [base] is the directory the formatted paths are resolved
 * against, [root] the run directory (the template's fixed leading directories) that holds
 * `manifest.json`.
 */
internal class RunLayout(internal val base: Path, internal val root: Path) {
    /** The checkpoint directory of a formatted path. */
    internal fun target(formatted: String): Path = base.resolve(formatted).normalize()

    /** A formatted path as the manifest records it: relative to [root], `/`-separated. */
    internal fun manifestPath(formatted: String): String =
        root.relativize(target(formatted)).joinToString("/")

    internal companion object {
        internal fun of(policy: CheckpointPolicy, base: Path): RunLayout {
            val absoluteBase = base.toAbsolutePath().normalize()
            val prefix = fixedPrefix(policy.filepath().source())
            val slash = prefix.lastIndexOf('/')
            val root = if (slash < 0) absoluteBase else absoluteBase.resolve(prefix.substring(0, slash)).normalize()
            return RunLayout(absoluteBase, root)
        }

        /** The template's text before its first field, with `{{`/`}}` unescaped. */
        private fun fixedPrefix(template: String): String {
            val out = StringBuilder()
            var i = 0
            while (i < template.length) {
                val c = template[i]
                if (c == '{' || c == '}') {
                    if (i + 1 < template.length && template[i + 1] == c) {
                        out.append(c)
                        i += 2
                        continue
                    }
                    if (c == '{') break
                }
                out.append(c)
                i++
            }
            return out.toString()
        }
    }
}

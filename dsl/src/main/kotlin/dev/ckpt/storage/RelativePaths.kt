package dev.ckpt.storage

import dev.ckpt.InternalCkptApi
/**
 * Paths stored in ckpt's files: relative, `/`-separated, no empty, `.` or `..` segments, no backslash,
 * no NUL, no drive letter. Anything else could point outside the run directory.
 */
@InternalCkptApi
public object RelativePaths {
    public fun problem(path: String): String? {
        if (path.isEmpty()) return "must not be empty"
        if (path.startsWith("/")) return "must be relative to the run directory, not absolute"
        if ('\\' in path) return "must use '/' as separator and contain no backslash"
        if ('\u0000' in path) return "must not contain a NUL character"
        if (path.length >= 2 && path[1] == ':' && path[0].isLetter()) return "must be relative, not start with a drive letter"
        for (segment in path.split('/')) {
            when (segment) {
                "" -> return "must not contain empty segments (\"//\" or a trailing '/')"
                "." -> return "must not contain \".\" segments"
                ".." -> return "must not contain \"..\": paths in a run stay inside the run directory"
            }
        }
        return null
    }

    public fun require(path: String, what: String) {
        val problem = problem(path)
        require(problem == null) { "$what \"$path\" $problem" }
    }

    public fun segments(path: String): List<String> = path.split('/')

    /** True when one of [a], [b] is a directory inside the other (or they are equal). */
    public fun overlaps(a: String, b: String): Boolean = a == b || a.startsWith("$b/") || b.startsWith("$a/")
}

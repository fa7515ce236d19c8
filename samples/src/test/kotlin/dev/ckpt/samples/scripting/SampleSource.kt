package dev.ckpt.samples.scripting

import java.nio.file.Files
import java.nio.file.Path

/**
 * Kotlin script text to run, plus a way to name a position in the file the user actually edits.
 *
 * ```kotlin
 * val source = SampleSource.fromFile(Path.of("src/main/scripts/digits.ckpt.kts"))
 * source.locate(3, 5) // "src/main/scripts/digits.ckpt.kts:3:5"
 * ```
 *
 * For a script file the positions are its own; for a notebook the text is generated and [locate]
 * maps a line back to the notebook cell it came from. It does not read or validate the code.
 */
public class SampleSource(
    /** File name the compiled script reports in diagnostics and stack traces. */
    public val name: String,
    /** The Kotlin code. */
    public val text: String,
    private val locator: (line: Int, column: Int?) -> String,
) {
    /** Describes 1-based [line] (and [column], when known) of [text] in terms of the file the user edits. */
    public fun locate(line: Int, column: Int? = null): String = locator(line, column)

    public companion object {
        /** Reads a script file; positions are reported as `path:line:column`, as compilers do. */
        @JvmStatic
        public fun fromFile(path: Path): SampleSource {
            require(Files.isRegularFile(path)) {
                "script: no such file ${path.toAbsolutePath().normalize()}; pass the path of a .ckpt.kts file"
            }
            return SampleSource(path.fileName.toString(), Files.readString(path)) { line, column ->
                if (column == null) "$path:$line" else "$path:$line:$column"
            }
        }
    }
}

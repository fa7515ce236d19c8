package dev.ckpt.samples.scripting

/**
 * What happened when a [SampleSource] was compiled and run: compiler diagnostics, the exception the
 * script threw (if any), and how long each stage took.
 *
 * ```kotlin
 * val report = SampleHost().run(source)
 * if (!report.succeeded) System.err.println(report.render())
 * ```
 *
 * It does not hold the script's printed output: scripts print straight to `System.out`.
 */
public class ScriptReport(
    /** Compiler and evaluator diagnostics of severity warning or above, in reported order. */
    public val problems: List<ScriptProblem>,
    /** The exception the script threw while running, or null. */
    public val failure: Throwable?,
    /** Where in the user's file [failure] was thrown, when the stack trace reaches the script. */
    public val failureLocation: String?,
    /** The stack of [failure] down to the script's outermost frame; the host's own frames are cut. */
    public val failureTrace: List<StackTraceElement>,
    /** Time spent compiling. */
    public val compileMillis: Long,
    /** Time spent running, or null when compilation failed and nothing ran. */
    public val runMillis: Long?,
) {
    /** True when the script compiled without errors, ran, and threw nothing. */
    public val succeeded: Boolean
        get() = runMillis != null && failure == null && problems.none { it.isError }

    /** Diagnostics one per line, then the failure with its location and stack trace. */
    public fun render(): String = buildString {
        problems.forEach { appendLine(it) }
        if (failure != null) {
            appendLine("script failed${failureLocation?.let { " at $it" } ?: ""}: $failure")
            failureTrace.forEach { appendLine("\tat $it") }
            generateSequence(failure.cause) { it.cause }.forEach { appendLine("caused by: $it") }
        }
    }
}

/** One compiler or evaluator diagnostic, positioned in the file the user edits. */
public data class ScriptProblem(
    /** How bad it is. */
    public val severity: Severity,
    /** `file:line:column` or a notebook cell position; null when the compiler gave no position. */
    public val location: String?,
    /** The compiler's message. */
    public val message: String,
) {
    /** True for errors, which stop the script from running. */
    public val isError: Boolean get() = severity == Severity.ERROR

    override fun toString(): String =
        "${location?.let { "$it: " } ?: ""}${severity.name.lowercase()}: $message"

    /** Diagnostic severities worth showing; the compiler's debug and info chatter is dropped. */
    public enum class Severity { WARNING, ERROR }
}

package dev.ckpt.samples.scripting

import java.io.PrintStream

/** Exit status of the sample runners. */
internal object ExitCode {
    const val OK: Int = 0
    const val SCRIPT_FAILED: Int = 1
    const val USAGE: Int = 2
}

/**
 * Shared body of the `RunScript` and `RunNotebook` mains: load a source, run it, print what went
 * wrong on [err], and answer an exit code. Timing goes to [err] too, so stdout stays the script's own.
 */
internal fun runSample(
    runner: String,
    args: Array<String>,
    host: SampleHost,
    err: PrintStream,
    load: (String) -> SampleSource,
): Int {
    if (args.size != 1) {
        val given = if (args.isEmpty()) "none" else "${args.size}: ${args.joinToString(" ")}"
        err.println("usage: $runner <path>; expected exactly one argument, got $given")
        return ExitCode.USAGE
    }
    val source = try {
        load(args[0])
    } catch (e: IllegalArgumentException) {
        err.println("$runner: ${e.message}")
        return ExitCode.USAGE
    }
    val report = host.run(source)
    err.print(report.render())
    val ran = report.runMillis?.let { ", ran in $it ms" } ?: ", not run"
    err.println("$runner: ${args[0]}: compiled in ${report.compileMillis} ms$ran")
    return if (report.succeeded) ExitCode.OK else ExitCode.SCRIPT_FAILED
}

package dev.ckpt.cli

import dev.ckpt.CorruptRunException
import dev.ckpt.RunLockedException
import dev.ckpt.S3SetupException
import picocli.CommandLine
import picocli.CommandLine.Command
import picocli.CommandLine.Model.CommandSpec
import picocli.CommandLine.Spec
import java.io.IOException
import java.io.PrintStream
import java.io.PrintWriter
import java.nio.file.AccessDeniedException
import java.nio.file.FileSystemException
import java.nio.file.NoSuchFileException
import java.util.concurrent.Callable

/**
 * The `ckpt` command line: `ls`, `show`, `best`, `verify`, `prune` and `plot` on a run, and `runs` under a root,
 * through the same storage code as the library ([dev.ckpt.Checkpoints]).
 *
 * ```kotlin
 * val code = CkptCli.run(arrayOf("ls", "runs/digits", "--json"), System.out, System.err)
 * ```
 *
 * Every error is one line on [err] naming the input, with an exit code from [ExitCodes]. It deliberately never
 * exits the JVM (that is [Main]'s job), so it can be embedded and tested in process.
 */
public object CkptCli {
    /** Runs the command line [args], printing to [out] and [err]; returns the exit code. */
    @JvmStatic
    public fun run(args: Array<String>, out: PrintStream, err: PrintStream): Int {
        val outWriter = PrintWriter(out, true)
        val errWriter = PrintWriter(err, true)
        val commandLine = CommandLine(Root())
        val footer = ExitCodes.TABLE.map { (code, meaning) -> "%3d  %s".format(code, meaning) }.toTypedArray()
        commandLine.commandSpec.usageMessage().footer(*footer)
        commandLine.out = outWriter
        commandLine.err = errWriter
        commandLine.setExecutionExceptionHandler { e, cmd, _ -> report(cmd, e) }
        commandLine.setParameterExceptionHandler { e, _ ->
            val cmd = e.commandLine
            cmd.err.println("${name(cmd)}: ${Text.oneLine(e.message ?: e.toString())} (see ${name(cmd)} --help)")
            ExitCodes.USAGE
        }
        return try {
            commandLine.execute(*args)
        } finally {
            outWriter.flush()
            errWriter.flush()
        }
    }

    /** `ckpt` or `ckpt ls`: how error lines start. */
    internal fun name(cmd: CommandLine): String = cmd.commandSpec.qualifiedName()

    private fun report(cmd: CommandLine, e: Exception): Int {
        val (code, message) = classify(e)
        cmd.err.println("${name(cmd)}: ${Text.oneLine(message)}")
        return code
    }

    /** The exit code and the message of a failure: the library's own words, which name the run or file. */
    internal fun classify(e: Throwable): Pair<Int, String> = when (e) {
        is CliFailure -> e.exitCode to e.message.orEmpty()
        is RunLockedException -> ExitCodes.LOCKED to e.message.orEmpty()
        is S3SetupException -> ExitCodes.S3_SETUP to e.message.orEmpty()
        is CorruptRunException -> ExitCodes.CORRUPT_RUN to e.message.orEmpty()
        is NoSuchFileException -> ExitCodes.NOT_FOUND to (if (e.reason != null) e.message.orEmpty() else "${e.file}: does not exist")
        is NoSuchElementException -> ExitCodes.NOT_FOUND to e.message.orEmpty()
        is IllegalArgumentException -> ExitCodes.USAGE to e.message.orEmpty()
        is AccessDeniedException -> ExitCodes.IO_ERROR to "${e.file}: permission denied" + (e.reason?.let { " ($it)" } ?: "")
        is FileSystemException -> ExitCodes.IO_ERROR to (e.message ?: e.file)
        is IOException -> ExitCodes.IO_ERROR to (e.message ?: e.javaClass.simpleName)
        else -> ExitCodes.INTERNAL_ERROR to "unexpected error, please report it: $e"
    }

    @Command(
        name = "ckpt",
        description = ["Inspect and maintain ckpt runs: the directories holding a manifest.json."],
        subcommands = [
            LsCommand::class, ShowCommand::class, BestCommand::class, VerifyCommand::class, PruneCommand::class, PlotCommand::class,
            RunsCommand::class,
        ],
        mixinStandardHelpOptions = false,
        usageHelpAutoWidth = true,
        footerHeading = "%nExit codes:%n",
    )
    internal class Root : Callable<Int> {
        @Spec
        lateinit var spec: CommandSpec

        @CommandLine.Option(names = ["-h", "--help"], usageHelp = true, description = ["Show this help and exit."])
        var help: Boolean = false

        override fun call(): Int {
            spec.commandLine().usage(spec.commandLine().err)
            return ExitCodes.USAGE
        }
    }
}

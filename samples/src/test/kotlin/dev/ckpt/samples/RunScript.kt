package dev.ckpt.samples

import dev.ckpt.samples.scripting.SampleHost
import dev.ckpt.samples.scripting.SampleSource
import dev.ckpt.samples.scripting.runSample
import java.io.PrintStream
import java.nio.file.Path
import kotlin.system.exitProcess

/**
 * Runs one `.ckpt.kts` sample script with the embedded Kotlin scripting host on this JVM's classpath.
 *
 * ```
 * mvn -B -q -pl samples -am test-compile exec:exec -Dexec.classpathScope=test -Dexec.mainClass=dev.ckpt.samples.RunScript \
 *     -Dsample.args=samples/src/main/scripts/digits.ckpt.kts
 * ```
 *
 * Compiler diagnostics go to stderr as `file:line:column: error: message`; the exit status is 1 when
 * the script does not compile or throws, 2 for a missing or unreadable path. It resolves no
 * `@file:DependsOn` and downloads nothing.
 */
public object RunScript {
    /** Runs the script named by the single argument and exits with its status. */
    @JvmStatic
    public fun main(args: Array<String>) {
        val status = run(args)
        if (status != 0) exitProcess(status)
    }

    /** Runs the script named by the single argument on [host]; answers the exit status. */
    @JvmStatic
    @JvmOverloads
    public fun run(args: Array<String>, host: SampleHost = SampleHost(), err: PrintStream = System.err): Int =
        runSample("RunScript", args, host, err) { SampleSource.fromFile(Path.of(it)) }
}

package dev.ckpt.samples

import dev.ckpt.samples.scripting.NotebookScript
import dev.ckpt.samples.scripting.SampleHost
import dev.ckpt.samples.scripting.runSample
import java.io.PrintStream
import java.nio.file.Path
import kotlin.system.exitProcess

/**
 * Runs a Kotlin Jupyter notebook without Jupyter: its code cells, in order, as one script on this
 * JVM's classpath (see [NotebookScript] for what is stripped).
 *
 * ```
 * mvn -B -q -pl samples -am test-compile exec:exec -Dexec.classpathScope=test -Dexec.mainClass=dev.ckpt.samples.RunNotebook \
 *     -Dsample.args=samples/notebooks/restore-best.ipynb
 * ```
 *
 * Diagnostics name the notebook cell and the line inside it; the exit status is 1 when a cell does
 * not compile or throws, 2 for a missing or malformed notebook. It does not write outputs back into
 * the notebook.
 */
public object RunNotebook {
    /** Runs the notebook named by the single argument and exits with its status. */
    @JvmStatic
    public fun main(args: Array<String>) {
        val status = run(args)
        if (status != 0) exitProcess(status)
    }

    /** Runs the notebook named by the single argument on [host]; answers the exit status. */
    @JvmStatic
    @JvmOverloads
    public fun run(args: Array<String>, host: SampleHost = SampleHost(), err: PrintStream = System.err): Int =
        runSample("RunNotebook", args, host, err) { NotebookScript.fromFile(Path.of(it)) }
}

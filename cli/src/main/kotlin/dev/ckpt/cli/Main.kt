package dev.ckpt.cli

import kotlin.system.exitProcess

/**
 * The `ckpt` command's entry point: runs [CkptCli] on the process's streams and exits with its code ([ExitCodes]).
 *
 * ```sh
 * java -jar cli/target/ckpt.jar ls runs/digits
 * ```
 *
 * It deliberately does nothing but configure the process (headless AWT, storage warnings on stderr) and exit:
 * embed [CkptCli.run] instead to keep the JVM running.
 */
public object Main {
    /** Runs the command line [args] and exits the JVM with the command's exit code. */
    @JvmStatic
    public fun main(args: Array<String>) {
        // Charts are drawn off-screen; storage warnings go to stderr, one line each.
        System.setProperty("java.awt.headless", "true")
        defaultProperty("org.slf4j.simpleLogger.logFile", "System.err")
        defaultProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn")
        defaultProperty("org.slf4j.simpleLogger.showThreadName", "false")
        defaultProperty("org.slf4j.simpleLogger.showShortLogName", "true")
        defaultProperty("org.slf4j.simpleLogger.levelInBrackets", "false")
        exitProcess(CkptCli.run(args, System.out, System.err))
    }

    private fun defaultProperty(name: String, value: String) {
        if (System.getProperty(name) == null) System.setProperty(name, value)
    }
}

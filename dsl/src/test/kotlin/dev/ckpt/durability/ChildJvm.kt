package dev.ckpt.durability

import java.io.File
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.io.path.exists
import kotlin.io.path.readLines

/**
 * A child JVM running a main class of the test sources on the test JVM's own class path, with its stdout lines
 * queued for the test and its stderr in [log].
 */
internal class ChildJvm private constructor(private val process: Process, val log: Path) {
    private val lines = LinkedBlockingQueue<String>()

    init {
        Thread({
            try {
                process.inputStream.bufferedReader().useLines { all -> all.forEach { lines.put(it) } }
            } catch (e: java.io.IOException) {
                // The JDK may close a dead child's pipe under the reader ("Stream closed"): that is its end too.
            } finally {
                lines.put(EOF)
            }
        }, "child-stdout-${process.pid()}").apply { isDaemon = true }.start()
    }

    /** The next stdout line, or null at end of output; fails after [timeoutSeconds] with the child's log. */
    fun nextLine(timeoutSeconds: Long = 120): String? {
        val line = lines.poll(timeoutSeconds, TimeUnit.SECONDS) ?: error("child printed nothing for $timeoutSeconds s\n${logTail()}")
        return if (line === EOF) null else line
    }

    /** Reads lines until one starts with [prefix]; fails if the output ends first. */
    fun awaitLine(prefix: String): String {
        while (true) {
            val line = nextLine() ?: error("child ended (exit ${waitFor()}) before printing $prefix\n${logTail()}")
            if (line.startsWith(prefix)) return line
        }
    }

    /**
     * SIGKILL on Linux: no shutdown hook, no finally block, no flush runs in the child. Returns whether the child was
     * still running when the signal was sent (a kill that finds it already gone tests nothing).
     */
    fun kill(): Boolean {
        val alive = process.isAlive
        process.destroyForcibly()
        process.waitFor()
        return alive && process.exitValue() == 137
    }

    /** SIGTERM on Linux: the JVM runs its shutdown hooks (ckpt's waits for a save in flight), then exits. */
    fun terminate() {
        process.destroy()
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.destroyForcibly()
            error("child did not end within 90 s of SIGTERM\n${logTail()}")
        }
    }

    fun waitFor(): Int {
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly()
            error("child did not exit within 120 s\n${logTail()}")
        }
        return process.exitValue()
    }

    /** Writes [line] to the child's stdin (a child that waits for the test's go-ahead reads it). */
    fun send(line: String) {
        process.outputStream.write((line + "\n").toByteArray())
        process.outputStream.flush()
    }

    /** The rest of the output of a child that has ended (killed or not), up to its end. */
    fun rest(): List<String> = buildList { while (true) add(nextLine(timeoutSeconds = 30) ?: break) }

    fun logTail(): String = if (log.exists()) "--- child stderr (tail) ---\n" + log.readLines().takeLast(40).joinToString("\n") else ""

    companion object {
        private val EOF = String(charArrayOf('\u0000'))

        private val java: String = ProcessHandle.current().info().command().orElseGet {
            Path.of(System.getProperty("java.home"), "bin", "java").toString()
        }

        /**
         * TensorFlow's Java binding extracts its native libraries (189 MB) into a fresh temporary directory in every
         * JVM and deletes it on exit, which a killed JVM never reaches. Children load the copy this JVM
         * already extracted instead (found in its memory map), so kills leak nothing and start faster.
         */
        private val tensorFlowLibraryPath: String? by lazy {
            org.tensorflow.TensorFlow.version()
            val maps = Path.of("/proc/self/maps")
            if (!maps.exists()) return@lazy null
            Files.readAllLines(maps).map { it.substringAfter('/', "") }.firstOrNull { it.endsWith("/libtensorflow_jni.so") }
                ?.let { File("/$it").parent }
        }

        fun start(
            mainClass: String,
            args: List<String>,
            log: Path,
            jvmOptions: List<String> = emptyList(),
            classPath: String = System.getProperty("java.class.path"),
            withoutEnvironment: Set<String> = emptySet(),
        ): ChildJvm {
            val command = buildList {
                add(java)
                add("-cp"); add(classPath)
                tensorFlowLibraryPath?.let { add("-Djava.library.path=$it") }
                // Short-lived and small: quick JIT, small serial heap.
                add("-XX:TieredStopAtLevel=1"); add("-XX:+UseSerialGC"); add("-Xmx256m")
                add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
                addAll(jvmOptions)
                add(mainClass)
                addAll(args)
            }
            val builder = ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
            builder.environment().keys.removeAll(withoutEnvironment)
            val process = builder.start()
            return ChildJvm(process, log)
        }
    }
}

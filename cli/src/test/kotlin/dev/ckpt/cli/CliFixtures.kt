package dev.ckpt.cli

import dev.ckpt.checkpoint
import org.jetbrains.kotlinx.dl.api.core.callback.Callback
import org.jetbrains.kotlinx.dl.api.core.history.EpochTrainingEvent
import org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory
import java.io.ByteArrayOutputStream
import java.io.PrintStream
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit

/** What a command printed and returned. */
data class Outcome(val exit: Int, val out: String, val err: String) {
    val errLines: List<String> get() = err.lines().filter { it.isNotBlank() }

    override fun toString(): String = "exit $exit\n--- stdout\n$out--- stderr\n$err"
}

/** Runs the command line in this JVM with captured streams. */
fun ckpt(vararg args: String): Outcome {
    val out = ByteArrayOutputStream()
    val err = ByteArrayOutputStream()
    val exit = PrintStream(out, true, Charsets.UTF_8).use { o ->
        PrintStream(err, true, Charsets.UTF_8).use { e -> CkptCli.run(arrayOf(*args), o, e) }
    }
    return Outcome(exit, out.toString(Charsets.UTF_8), err.toString(Charsets.UTF_8))
}

/**
 * Runs `java -jar cli/target/ckpt.jar args` as a child process, as a user would. [environment] replaces the
 * inherited environment's AWS and ckpt settings (`AWS_*`, `CKPT_*`), so that only what a test names reaches the child.
 */
fun ckptJar(vararg args: String, workingDirectory: Path? = null, environment: Map<String, String>? = null): Outcome {
    val jar = Path.of(System.getProperty("ckpt.cli.jar") ?: "target/ckpt.jar").toAbsolutePath()
    check(Files.isRegularFile(jar)) { "$jar is missing: build it with mvn -pl cli -am package" }
    val java = Path.of(System.getProperty("java.home"), "bin", "java").toString()
    val process = ProcessBuilder(listOf(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-jar", jar.toString()) + args)
        .apply { workingDirectory?.let { directory(it.toFile()) } }
        .apply { environment?.let { settings -> environment().withOnly(settings) } }
        .start()
    process.outputStream.close()
    val err = StringBuilder()
    val errReader = Thread { err.append(process.errorStream.bufferedReader(Charsets.UTF_8).readText()) }.apply { start() }
    val out = process.inputStream.bufferedReader(Charsets.UTF_8).readText()
    check(process.waitFor(120, TimeUnit.SECONDS)) { "ckpt ${args.joinToString(" ")} did not finish" }
    errReader.join()
    return Outcome(process.exitValue(), out, err.toString())
}

/** Drops the AWS and ckpt settings of this map (a child's environment) and puts [settings] in. */
fun MutableMap<String, String>.withOnly(settings: Map<String, String>) {
    keys.removeIf { it.startsWith("AWS_") || it.startsWith("CKPT_") }
    putAll(settings)
}

/** Real runs made by training the digits classifier briefly, shared by the specs (TensorFlow trains each once). */
object CliRuns {
    private val base: Path by lazy { Files.createTempDirectory("ckpt-cli-test") }

    /**
     * Six epochs, every epoch saved, the best by val_accuracy and the last four kept: two checkpoints released
     * during training, four kept, and a history of six epochs.
     */
    val trained: Path by lazy {
        val dir = base.resolve("trained/digits")
        Digits.newCompiledModel().use { model ->
            model.fit(
                Digits.train(), Digits.validation(), 6, Digits.BATCH_SIZE, 64,
                listOf(checkpoint("$dir/e{epoch:02d}-acc{val_accuracy:.4f}") { monitor = "val_accuracy"; mode = MAX; keepBest = 1; keepLast = 4 }),
            )
        }
        dir
    }

    /** A fresh copy of [trained] under [name], to damage or prune. */
    fun copy(name: String): Path {
        val target = base.resolve("copies").resolve(name).resolve("digits")
        check(!Files.exists(target)) { "copy $name made twice" }
        trained.toFile().copyRecursively(target.toFile())
        return target
    }

    /** A path that holds nothing. */
    fun nowhere(): Path = base.resolve("nothing-here")
}

/**
 * A run being written: training runs in a background thread and stops at the end of epoch [pauseAfter], right
 * after ckpt committed that epoch's checkpoint, holding the run's writer lock until [finish].
 */
class LiveRun(val dir: Path, private val epochs: Int = 3, private val pauseAfter: Int = 2) : AutoCloseable {
    private val paused = CountDownLatch(1)
    private val proceed = CountDownLatch(1)
    private var failure: Throwable? = null
    private val thread = Thread({
        try {
            Digits.newCompiledModel().use { model ->
                model.fit(
                    Digits.train(), Digits.validation(), epochs, Digits.BATCH_SIZE, 64,
                    // Inline saves: the pause must find epoch 2's checkpoint committed, where a background save could still be
                    // writing it (a run with a save in flight is covered by the dsl's BackgroundSaveSpec).
                    listOf(checkpoint("$dir/e{epoch:02d}") { monitor = "val_accuracy"; mode = MAX; async = false }, Pause()),
                )
            }
        } catch (e: Throwable) {
            failure = e
            paused.countDown()
        }
    }, "live-run-training")

    private inner class Pause : Callback() {
        override fun onEpochEnd(epoch: Int, event: EpochTrainingEvent, logs: TrainingHistory) {
            if (epoch == pauseAfter) {
                paused.countDown()
                proceed.await(5, TimeUnit.MINUTES)
            }
        }
    }

    /** Starts training and returns once it is paused. */
    fun start(): LiveRun {
        thread.start()
        check(paused.await(5, TimeUnit.MINUTES)) { "training did not reach epoch $pauseAfter" }
        failure?.let { throw it }
        return this
    }

    /** Lets training finish, and waits for it. */
    override fun close() {
        proceed.countDown()
        thread.join(TimeUnit.MINUTES.toMillis(5))
        failure?.let { throw it }
    }
}

/** Every file under [root] with its bytes, to show that a command changed nothing. */
fun contents(root: Path): Map<String, List<Byte>> = Files.walk(root).use { paths ->
    paths.filter { Files.isRegularFile(it) && it.fileName.toString() != "run.lock" }.toList()
        .associate { root.relativize(it).toString() to Files.readAllBytes(it).toList() }
}

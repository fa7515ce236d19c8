package dev.ckpt.cli

import dev.ckpt.Checkpoints
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import java.nio.file.Files
import java.nio.file.Path
import java.util.jar.JarFile

/**
 * `java -jar cli/target/ckpt.jar ...` in a child process, as users run it: exit codes, stdout and stderr. An
 * integration test (Failsafe, `mvn verify`): the jar exists only once the module is packaged.
 */
class CkptJarIT : FunSpec({
    val jar = Path.of(System.getProperty("ckpt.cli.jar") ?: "target/ckpt.jar")
    val run = CliRuns.trained

    test("the jar names its main class and carries no signature files of signed dependencies") {
        JarFile(jar.toFile()).use { file ->
            file.manifest.mainAttributes.getValue("Main-Class") shouldBe "dev.ckpt.cli.Main"
            file.entries().toList().map { it.name }.filter { Regex("META-INF/[^/]+\\\\.(SF|DSA|RSA|EC)").matches(it) } shouldBe emptyList()
        }
    }

    test("ls through the jar prints what it prints in process, and exits 0") {
        val child = ckptJar("ls", run.toString())
        withClue(child) {
            child.exit shouldBe 0
            child.out shouldBe ckpt("ls", run.toString()).out
            child.err shouldBe ""
        }
    }

    test("best --json through the jar describes the best checkpoint") {
        val child = ckptJar("best", run.toString(), "--json")
        child.exit shouldBe 0
        Json.parseToJsonElement(child.out).jsonObject["location"]!!.jsonPrimitive.content shouldBe Checkpoints.open(run).best().location
    }

    test("verify through the jar exits 1 on a damaged copy, one stderr line per damaged file") {
        val copy = CliRuns.copy("jar-verify")
        val damaged = Checkpoints.open(copy)
        Files.delete(damaged.latest().directory.resolve("modelConfig.json"))
        Files.writeString(damaged.all.first().directory.resolve("hidden_dense_bias.txt"), "0.0\n")
        val child = ckptJar("verify", copy.toString())
        withClue(child) {
            child.exit shouldBe 1
            child.errLines.size shouldBe 2
            child.errLines[0] shouldStartWith "ckpt verify: ${damaged.all.first().location}/hidden_dense_bias.txt is corrupt: its sha256 is "
            child.errLines[1] shouldBe "ckpt verify: ${damaged.latest().location}/modelConfig.json is missing: checkpoint ${damaged.latest().path} is incomplete"
        }
    }

    test("plot through the jar renders headless into a PNG") {
        val dir = Files.createTempDirectory("jar-plot")
        val child = ckptJar("plot", run.toString(), "--out", "chart.png", workingDirectory = dir)
        withClue(child) {
            child.exit shouldBe 0
            child.out shouldBe "wrote ${dir.toRealPath().resolve("chart.png")} (val_accuracy, loss over 6 epochs)\n"
            Files.readAllBytes(dir.resolve("chart.png")).copyOf(8).toList() shouldBe
                listOf(0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A).map { it.toByte() }
        }
    }

    test("runs through the jar lists a local root as it does in process: the runs, the foreign directory left out") {
        val root = Files.createTempDirectory("jar-runs")
        run.toFile().copyRecursively(root.resolve("a/digits").toFile())
        run.toFile().copyRecursively(root.resolve("b").toFile())
        Files.createDirectories(root.resolve("notes"))
        Files.writeString(root.resolve("notes/plan.txt"), "not a run")
        val child = ckptJar("runs", root.toString())
        withClue(child) {
            child.exit shouldBe 0
            child.err shouldBe ""
            child.out shouldBe ckpt("runs", root.toString()).out
            child.out.lines()[0] shouldBe "runs under $root: 2 runs"
        }
    }

    test("a run that another process is training: prune exits 5 naming the holder; ls and verify read what is committed") {
        LiveRun(Files.createTempDirectory("jar-live").resolve("digits")).start().use { live ->
            val before = contents(live.dir)
            val pruned = ckptJar("prune", live.dir.toString(), "--keep-last", "1")
            withClue(pruned) {
                pruned.exit shouldBe ExitCodes.LOCKED
                pruned.errLines.single() shouldStartWith "ckpt prune: run ${live.dir} is already open for writing by pid ${ProcessHandle.current().pid()}"
            }
            contents(live.dir) shouldBe before
            val listed = ckptJar("ls", live.dir.toString(), "--json")
            listed.exit shouldBe 0
            listed.out shouldContain "\"path\": \"e02\""
            ckptJar("verify", live.dir.toString()).exit shouldBe 0
            // Another process holds the run's OS lock: the child sees it through run.lock, not through a registry.
            val runs = ckptJar("runs", live.dir.parent.toString(), "--json")
            withClue(runs) {
                runs.exit shouldBe 0
                runs.out shouldContain "\"state\": \"training\""
                runs.out shouldContain "\"writer\": \"pid ${ProcessHandle.current().pid()}"
            }
        }
    }
})

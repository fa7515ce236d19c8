package dev.ckpt.cli

import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.boolean
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

private const val BUCKET = "ckpt-it"
private const val RUN = "s3://$BUCKET/runs/digits"

/**
 * A user's S3 set-up, end to end: S3Proxy runs as a process of its own on 127.0.0.1 ([S3ServerMain]), a training in
 * another process writes a run into it configured by the S3 settings of docs/storage.md alone (environment variables), and
 * every `ckpt` command reads or maintains that run through `java -jar cli/target/ckpt.jar`, with the same settings.
 * The children see no AWS or ckpt setting of this JVM's environment, and no `~/.aws` files.
 */
class CkptS3JarIT : FunSpec({
    val work = Files.createTempDirectory("ckpt-s3-it")
    lateinit var server: S3ServerProcess
    lateinit var settings: Map<String, String>

    beforeSpec {
        val readme = readmeSettings()
        withClue(readme) { readme.keys shouldBe README_SETTINGS }
        server = S3ServerProcess.start(work.resolve("objects"), readme.getValue("AWS_ACCESS_KEY_ID"), readme.getValue("AWS_SECRET_ACCESS_KEY"), work.resolve("server.log"))
        settings = readme + ("AWS_ENDPOINT_URL" to server.endpoint) + NO_AWS_FILES
        val trainer = trainInto("$RUN/e{epoch:02d}-acc{val_accuracy:.4f}", 5, settings, work.resolve("trainer.log"))
        withClue(Files.readString(work.resolve("trainer.log"))) { trainer shouldBe "TRAINED" }
    }

    afterSpec { server.close() }

    fun ckptS3(vararg args: String, environment: Map<String, String> = settings, dir: Path? = null) =
        ckptJar(*args, workingDirectory = dir, environment = environment)

    fun listing(): JsonObject = ckptS3("ls", RUN, "--json").let { withClue(it) { it.exit shouldBe 0 }; Json.parseToJsonElement(it.out).jsonObject }

    fun paths(listing: JsonObject): List<String> = listing["checkpoints"]!!.jsonArray.map { it.jsonObject["path"]!!.jsonPrimitive.content }

    fun bestPath(listing: JsonObject): String = listing["best"]!!.jsonPrimitive.content

    test("ls lists the run on S3: a header naming the s3:// run and its monitor, one line per checkpoint") {
        val listed = listing()
        val child = ckptS3("ls", RUN)
        withClue(child) {
            child.exit shouldBe 0
            child.err shouldBe ""
            val lines = child.out.lines().filter { it.isNotBlank() }
            lines[0] shouldBe "run $RUN: ${paths(listed).size} checkpoints, monitor val_accuracy (max)"
            lines.drop(2).map { it.substringBefore(' ') } shouldContainExactly paths(listed)
        }
        listed["checkpoints"]!!.jsonArray.single { it.jsonObject["best"]!!.jsonPrimitive.boolean }.jsonObject["location"]!!.jsonPrimitive.content shouldBe
            "$RUN/${bestPath(listed)}"
    }

    test("best prints the best checkpoint's s3:// location, for scripts") {
        val child = ckptS3("best", RUN)
        withClue(child) {
            child.exit shouldBe 0
            child.out shouldBe "$RUN/${bestPath(listing())}\n"
        }
    }

    test("show summarises the run, and show best one checkpoint with its objects' SHA-256") {
        val run = ckptS3("show", RUN)
        withClue(run) {
            run.exit shouldBe 0
            run.out.lines().first() shouldBe "run                      $RUN"
            run.out shouldContain "history                  5 epochs (1..5)"
        }
        val best = ckptS3("show", RUN, "best")
        withClue(best) {
            best.exit shouldBe 0
            best.out.lines().first() shouldBe "checkpoint  ${bestPath(listing())}"
            best.out shouldContain "location    $RUN/${bestPath(listing())}\n"
            best.out shouldContain "modelConfig.json"
        }
    }

    test("verify re-hashes every object from S3 and exits 0") {
        val child = ckptS3("verify", RUN)
        val count = paths(listing()).size
        withClue(child) {
            child.exit shouldBe 0
            child.err shouldBe ""
            child.out shouldContain "ok          history.jsonl (5 epochs)\n"
            child.out.lines().filter { it.isNotBlank() }.last() shouldBe "$count checkpoints verified: $count intact, 0 damaged"
        }
    }

    test("plot draws the run's history from S3 into a local PNG") {
        val dir = Files.createTempDirectory(work, "plot")
        val child = ckptS3("plot", RUN, "--out", "chart.png", dir = dir)
        withClue(child) {
            child.exit shouldBe 0
            child.out shouldBe "wrote ${dir.toRealPath().resolve("chart.png")} (val_accuracy, loss over 5 epochs)\n"
            Files.readAllBytes(dir.resolve("chart.png")).copyOf(4).toList() shouldBe listOf(0x89, 0x50, 0x4E, 0x47).map { it.toByte() }
        }
    }

    test("without AWS_REGION, a command exits 7 naming the settings to make, and no 70") {
        val child = ckptS3("ls", RUN, environment = settings - "AWS_REGION" + ("AWS_EC2_METADATA_DISABLED" to "true"))
        withClue(child) {
            child.exit shouldBe ExitCodes.S3_SETUP
            child.errLines.single() shouldStartWith "ckpt ls: cannot open run $RUN: the AWS SDK could not configure an S3 client ("
            child.errLines.single() shouldContain "); set AWS_REGION (or -Daws.region, or a region in ~/.aws/config), and for an " +
                "S3-compatible server AWS_ENDPOINT_URL and CKPT_S3_PATH_STYLE=true"
        }
    }

    test("without credentials, a command exits 7 naming the credential settings") {
        val child = ckptS3("ls", RUN, environment = settings - "AWS_ACCESS_KEY_ID" - "AWS_SECRET_ACCESS_KEY" + ("AWS_EC2_METADATA_DISABLED" to "true"))
        withClue(child) {
            child.exit shouldBe ExitCodes.S3_SETUP
            child.errLines.single() shouldBe "ckpt ls: LIST $RUN/* failed: the AWS SDK found no credentials; set " +
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, or -Daws.accessKeyId and -Daws.secretAccessKey)"
        }
    }

    context("without the checksum settings, S3Proxy refuses the SDK's requests: exit 7 names both settings, the run is unchanged") {
        withData(
            nameFn = { (command, dropped) -> "${command.first()} without ${dropped.joinToString(" and ")}" },
            listOf("ls", RUN) to listOf("AWS_REQUEST_CHECKSUM_CALCULATION", "AWS_RESPONSE_CHECKSUM_VALIDATION"),
            listOf("prune", RUN, "--keep-last", "1") to listOf("AWS_REQUEST_CHECKSUM_CALCULATION", "AWS_RESPONSE_CHECKSUM_VALIDATION"),
            listOf("prune", RUN, "--keep-last", "1") to listOf("AWS_REQUEST_CHECKSUM_CALCULATION"),
        ) { (command, dropped) ->
            val before = listing()
            val child = ckptS3(*command.toTypedArray(), environment = settings - dropped.toSet())
            withClue(child) {
                child.exit shouldBe ExitCodes.S3_SETUP
                val line = child.errLines.single()
                line shouldStartWith "ckpt ${command.first()}: "
                line shouldContain " s3://$BUCKET/runs/digits/"
                line shouldContain "; set AWS_REQUEST_CHECKSUM_CALCULATION=when_required and AWS_RESPONSE_CHECKSUM_VALIDATION=when_required"
            }
            listing() shouldBe before
        }
    }

    test("prune releases on S3 what retention lets go (dry run first), keeps the best and the latest; verify still passes") {
        val before = listing()
        val latest = before["latest"]!!.jsonPrimitive.content
        val kept = listOf(bestPath(before), latest).distinct().sorted()
        val released = paths(before) - kept.toSet()
        val dry = ckptS3("prune", RUN, "--keep-last", "1", "--dry-run")
        withClue(dry) {
            dry.exit shouldBe 0
            dry.out.lines().filter { it.startsWith("would release") } shouldBe released.map { "would release  $it" }
        }
        listing() shouldBe before
        val pruned = ckptS3("prune", RUN, "--keep-last", "1")
        withClue(pruned) {
            pruned.exit shouldBe 0
            pruned.out.lines().filter { it.startsWith("released") } shouldBe released.map { "released  $it" }
        }
        paths(listing()) shouldBe kept
        released.forEach { Files.exists(work.resolve("objects/$BUCKET/runs/digits/$it/checkpoint.json")) shouldBe false }
        ckptS3("verify", RUN).exit shouldBe 0
    }
})

/** The settings a user of an S3-compatible server makes, as the block in docs/storage.md, "Checkpoints on S3", lists them. */
private val README_SETTINGS = setOf(
    "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "CKPT_S3_PATH_STYLE",
    "AWS_REQUEST_CHECKSUM_CALCULATION", "AWS_RESPONSE_CHECKSUM_VALIDATION",
)

/** Files that do not exist in place of `~/.aws/config` and `~/.aws/credentials`: nothing but the documented settings configure the SDK. */
private val NO_AWS_FILES = mapOf("AWS_CONFIG_FILE" to "/nonexistent/ckpt-it/config", "AWS_SHARED_CREDENTIALS_FILE" to "/nonexistent/ckpt-it/credentials")

/** The `export NAME=value` lines of the first `sh` block of the "Checkpoints on S3" section of docs/storage.md. */
private fun readmeSettings(): Map<String, String> {
    val readme = Files.readString(Path.of(System.getProperty("ckpt.s3docs") ?: "../docs/storage.md"))
    val section = readme.substringAfter("\n## Checkpoints on S3\n").substringBefore("\n## ")
    val block = section.substringAfter("\n```sh\n").substringBefore("\n```")
    return Regex("""^export ([A-Z0-9_]+)=(\S+)""", RegexOption.MULTILINE).findAll(block).associate { it.groupValues[1] to it.groupValues[2] }
}

private fun javaCommand(mainClass: String, args: List<String>): List<String> =
    listOf(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"), mainClass) + args

/** Trains in a child JVM configured by [environment] alone; returns the last line it printed. */
private fun trainInto(filepath: String, epochs: Int, environment: Map<String, String>, log: Path): String {
    val process = ProcessBuilder(javaCommand(S3TrainMain::class.java.name, listOf(filepath, epochs.toString())))
        .redirectError(ProcessBuilder.Redirect.to(log.toFile()))
        .apply { environment().withOnly(environment + ("TF_CPP_MIN_LOG_LEVEL" to "2")) }
        .start()
    process.outputStream.close()
    val out = process.inputStream.bufferedReader().readText()
    // Ten minutes for five epochs of a small MLP (seconds when idle): only a hung child reaches it.
    check(process.waitFor(10, TimeUnit.MINUTES)) { "the training did not finish; see $log" }
    return out.lines().lastOrNull { it.isNotBlank() }.orEmpty()
}

/** [S3ServerMain] in a child JVM: serves until [close] closes its stdin. */
class S3ServerProcess private constructor(private val process: Process, val endpoint: String) : AutoCloseable {
    override fun close() {
        process.outputStream.close()
        if (!process.waitFor(60, TimeUnit.SECONDS)) process.destroyForcibly()
    }

    companion object {
        fun start(directory: Path, accessKey: String, secretKey: String, log: Path): S3ServerProcess {
            Files.createDirectories(directory)
            val process = ProcessBuilder(javaCommand(S3ServerMain::class.java.name, listOf(directory.toString(), BUCKET, accessKey, secretKey)))
                .redirectError(ProcessBuilder.Redirect.to(log.toFile()))
                .start()
            val first = process.inputStream.bufferedReader().readLine()
            check(first != null && first.startsWith("LISTENING ")) { "S3Proxy did not start (said \"$first\"); see $log:\n${log.toFile().readText()}" }
            return S3ServerProcess(process, first.removePrefix("LISTENING "))
        }
    }
}


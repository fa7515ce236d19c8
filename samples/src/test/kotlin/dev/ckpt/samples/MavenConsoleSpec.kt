package dev.ckpt.samples

import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * The README's commands (`mvn -B -q -pl samples -am compile exec:exec`) print the main job's output between what
 * Maven writes. Maven 3.8 writes a terminal reset (`ESC[0m`) on its console even with `-B -q`, unless the
 * repository's `.mvn/jvm.config` (`-Djansi.noreset=true`) and `.mvn/maven.config` (`-Dstyle.color=never`) turn
 * escape codes off. This runs Maven from the repository root as the README does, on a goal that prints nothing of
 * its own, so that every byte it prints is Maven's; the main job's own output is checked in [DigitsMainSpec].
 */
class MavenConsoleSpec : FunSpec({
    test("Maven, run from the repository root with the README's flags, prints no terminal escape codes") {
        val root = Path.of("").toAbsolutePath().parent
        Files.isRegularFile(root.resolve(".mvn/jvm.config")) shouldBe true
        val process = ProcessBuilder("mvn", "-B", "-q", "-o", "-N", "validate")
            .directory(root.toFile())
            .redirectErrorStream(true)
            // The repository's configuration is under test, not the settings of the Maven that runs this test.
            .apply { environment().remove("MAVEN_OPTS") }
            .start()
        process.outputStream.close()
        val printed = process.inputStream.readAllBytes().toString(Charsets.UTF_8)
        // A minute for a Maven start that reads one POM (about two seconds when idle): only a hung Maven reaches it.
        process.waitFor(60, TimeUnit.SECONDS) shouldBe true
        withClue(printed.replace("\u001b", "<ESC>")) {
            process.exitValue() shouldBe 0
            printed.contains('\u001b') shouldBe false
        }
    }
})

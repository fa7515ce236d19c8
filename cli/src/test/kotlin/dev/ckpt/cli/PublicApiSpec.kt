package dev.ckpt.cli

import dev.ckpt.apidump.ApiDump
import dev.ckpt.apidump.KotlinApi
import io.kotest.core.spec.style.FunSpec
import java.nio.file.Path

/**
 * The public API of ckpt-cli is what `cli/api/ckpt-cli.api` lists (Kotlin's `internal` excluded): the entry points a
 * launcher or an embedding tool calls, and nothing of the commands' insides.
 */
class PublicApiSpec : FunSpec({
    val dump = Path.of("api/ckpt-cli.api")
    val update = "mvn -B -pl cli -am test -Dtest=PublicApiSpec -Dsurefire.failIfNoSpecifiedTests=false -Dckpt.api.update=true"
    val mainClasses = Path.of(Main::class.java.protectionDomain.codeSource.location.toURI())

    test("the public API matches the committed dump") {
        ApiDump.check(dump, ApiDump.of(mainClasses, KotlinApi), update)
    }
})

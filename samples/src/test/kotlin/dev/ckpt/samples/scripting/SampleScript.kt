package dev.ckpt.samples.scripting

import kotlin.script.experimental.annotations.KotlinScript
import kotlin.script.experimental.api.ScriptCompilationConfiguration
import kotlin.script.experimental.jvm.dependenciesFromClassloader
import kotlin.script.experimental.jvm.jvm

/**
 * The script definition behind `*.ckpt.kts` samples and converted notebooks: plain Kotlin that sees
 * everything on the classpath of the JVM that runs it.
 *
 * ```kotlin
 * // digits.ckpt.kts
 * import dev.ckpt.samples.Digits
 * println(Digits.load().size)
 * ```
 *
 * It deliberately resolves no `@file:DependsOn` and downloads nothing: a sample runs against exactly
 * the artifacts the build put on the classpath, so a test of the sample tests this build.
 */
@KotlinScript(
    displayName = "ckpt sample script",
    fileExtension = "ckpt.kts",
    compilationConfiguration = SampleScriptCompilation::class,
)
public abstract class SampleScript

/** Compiles [SampleScript]s against the whole classpath that loaded the samples module. */
public object SampleScriptCompilation : ScriptCompilationConfiguration({
    jvm {
        dependenciesFromClassloader(classLoader = SampleScript::class.java.classLoader, wholeClasspath = true)
    }
}) {
    // The configuration is a serializable singleton: deserialization must yield this instance.
    private fun readResolve(): Any = SampleScriptCompilation
}

package dev.ckpt.samples.scripting

import java.util.concurrent.CompletableFuture
import java.util.concurrent.CompletionException
import kotlin.coroutines.Continuation
import kotlin.coroutines.EmptyCoroutineContext
import kotlin.coroutines.startCoroutine
import kotlin.script.experimental.api.ResultValue
import kotlin.script.experimental.api.ResultWithDiagnostics
import kotlin.script.experimental.api.ScriptDiagnostic
import kotlin.script.experimental.api.ScriptEvaluationConfiguration
import kotlin.script.experimental.api.valueOrNull
import kotlin.script.experimental.host.toScriptSource
import kotlin.script.experimental.jvm.baseClassLoader
import kotlin.script.experimental.jvm.jvm
import kotlin.script.experimental.jvm.loadDependencies
import kotlin.script.experimental.jvmhost.BasicJvmScriptingHost
import kotlin.script.experimental.jvmhost.createJvmCompilationConfigurationFromTemplate

/**
 * Compiles and runs [SampleSource]s with the embedded Kotlin scripting host, in this JVM, on this
 * JVM's classpath.
 *
 * ```kotlin
 * val host = SampleHost()
 * val report = host.run(SampleSource.fromFile(Path.of("src/main/scripts/digits.ckpt.kts")))
 * ```
 *
 * One host can run many scripts; the compiler's warm-up is paid once per JVM. Scripts run on the
 * calling thread and share the host's classes (so TensorFlow's native library loads only once);
 * the host does not sandbox them, time them out, or capture what they print.
 */
public class SampleHost {
    private val host = BasicJvmScriptingHost()
    private val compilation = createJvmCompilationConfigurationFromTemplate<SampleScript>()
    private val evaluation = ScriptEvaluationConfiguration {
        jvm {
            // Reuse the host's loaded classes instead of loading the classpath a second time.
            baseClassLoader(SampleScript::class.java.classLoader)
            loadDependencies(false)
        }
    }

    /** Compiles [source]; if that succeeds, runs it. Never throws for problems in the script itself. */
    public fun run(source: SampleSource): ScriptReport {
        val compileStart = System.nanoTime()
        val compiled = blocking { host.compiler(source.text.toScriptSource(source.name), compilation) }
        val compileMillis = millisSince(compileStart)
        val problems = compiled.reports.mapNotNull { it.toProblem(source) }.toMutableList()
        val script = compiled.valueOrNull()
        if (script == null || problems.any { it.isError }) {
            return ScriptReport(problems, null, null, emptyList(), compileMillis, null)
        }

        val runStart = System.nanoTime()
        val evaluated = blocking { host.evaluator(script, evaluation) }
        val runMillis = millisSince(runStart)
        problems += evaluated.reports.mapNotNull { it.toProblem(source) }
        val failure = when (val value = evaluated.valueOrNull()?.returnValue) {
            is ResultValue.Error -> value.error
            is ResultValue.NotEvaluated -> IllegalStateException("script was compiled but not evaluated")
            else -> (evaluated as? ResultWithDiagnostics.Failure)?.reports?.firstNotNullOfOrNull { it.exception }
        }
        val trace = failure?.stackTrace.orEmpty().toList()
        val failureLocation = trace.firstOrNull { it.fileName == source.name && it.lineNumber > 0 }
            ?.let { source.locate(it.lineNumber) }
        // Frames below the script's own are this host's reflection plumbing: noise to the reader.
        val outermost = trace.indexOfLast { it.fileName == source.name }
        val failureTrace = if (outermost < 0) trace else trace.subList(0, outermost + 1)
        return ScriptReport(problems, failure, failureLocation, failureTrace, compileMillis, runMillis)
    }

    private fun ScriptDiagnostic.toProblem(source: SampleSource): ScriptProblem? {
        val severity = when (severity) {
            ScriptDiagnostic.Severity.FATAL, ScriptDiagnostic.Severity.ERROR -> ScriptProblem.Severity.ERROR
            ScriptDiagnostic.Severity.WARNING -> ScriptProblem.Severity.WARNING
            ScriptDiagnostic.Severity.INFO, ScriptDiagnostic.Severity.DEBUG -> return null
        }
        val where = location?.start?.let { source.locate(it.line, it.col) }
        val cause = exception?.takeUnless { e -> e.message?.let { it in message } == true }?.let { " ($it)" } ?: ""
        return ScriptProblem(severity, where, message + cause)
    }

    private fun millisSince(start: Long): Long = (System.nanoTime() - start) / 1_000_000

    // The scripting API is `suspend` but completes without suspending; this avoids a coroutines dependency.
    private fun <T> blocking(block: suspend () -> T): T {
        val result = CompletableFuture<T>()
        block.startCoroutine(Continuation(EmptyCoroutineContext) { outcome ->
            outcome.fold({ result.complete(it) }, { result.completeExceptionally(it) })
        })
        try {
            return result.join()
        } catch (e: CompletionException) {
            throw e.cause ?: e
        }
    }
}

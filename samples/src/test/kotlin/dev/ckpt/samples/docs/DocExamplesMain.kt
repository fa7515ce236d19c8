package dev.ckpt.samples.docs

import dev.ckpt.Checkpoints
import dev.ckpt.samples.Digits
import dev.ckpt.samples.DigitsModel

/**
 * Runs the README's examples on the digits, in a JVM whose working directory is a fresh directory (the examples'
 * paths, `runs/digits`, are relative). Started by DocExamplesSpec; prints `RESULT name=value` lines for it to check.
 *
 * `kotlin`: the Kotlin quick start (30 epochs), then the resume example and the load-weights example on its run.
 * `java`: the Java quick start (10 epochs).
 * `stop`: docs/preemption.md's first example (30 epochs, `resume = true`, nothing asks it to stop).
 */
internal object DocExamplesMain {
    @JvmStatic
    fun main(args: Array<String>) {
        val (train, valid) = Digits.load().split()
        when (val scenario = args.singleOrNull()) {
            "kotlin" -> {
                DigitsModel.create().use { model ->
                    DigitsModel.compile(model)
                    quickStart(model, train, valid).use { best -> result("restored", DigitsModel.accuracy(best, valid)) }
                }
                result("logged", Checkpoints.open("runs/digits").best().metrics.getValue("val_accuracy"))
                DigitsModel.create().use { model ->
                    DigitsModel.compile(model)
                    resume(model, train, valid)
                }
                DigitsModel.create().use { model ->
                    DigitsModel.compile(model)
                    loadWeights(model)
                    result("weights", DigitsModel.accuracy(model, valid))
                }
            }
            "java" -> DigitsModel.create().use { model ->
                DigitsModel.compile(model)
                result("restored", ReadmeJava.quickStart(model, train, valid))
            }
            "stop" -> DigitsModel.create().use { model ->
                DigitsModel.compile(model)
                stopIsASave(model, train, valid)
            }
            else -> error("DocExamplesMain: expected one argument, kotlin, java or stop; got $scenario")
        }
        result("done", "true")
    }

    private fun result(name: String, value: Any) = println("RESULT $name=$value")
}

package dev.ckpt.kotlindl

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.doubles.plusOrMinus
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain

/** The comparison the resume specs fall back to on a machine where TensorFlow's training does not repeat itself. */
class TrainingDeterminismSpec : FunSpec({
    fun weights(vararg values: Float) = mapOf("w" to values.map { java.lang.Float.floatToRawIntBits(it) })
    fun trained(losses: List<Double>, vararg values: Float) = TrainingDeterminism.Trained(weights(*values), losses)

    val straight = trained(listOf(0.5, 0.25), 3f, 4f)

    test("relative L2 is the distance over the norm of the first argument") {
        TrainingDeterminism.relativeL2(weights(3f, 4f), weights(3f, 4.5f)) shouldBe (0.5 / 5.0 plusOrMinus 1e-12)
        TrainingDeterminism.relativeL2(weights(3f, 4f), weights(3f, 4f)) shouldBe 0.0
    }

    test("with a bitwise-equal control, any difference fails") {
        shouldThrow<AssertionError> {
            TrainingDeterminism.assertSameTraining("t", straight, straight, trained(listOf(0.5, 0.25), 3f, 4.0001f))
        }
        TrainingDeterminism.assertSameTraining("t", straight, straight, straight) shouldBe true
    }

    test("with a control that differs, a resumed run within the bounds passes and one beyond them fails, naming the bound") {
        val control = trained(listOf(0.5, 0.2502), 3f, 4.01f)
        TrainingDeterminism.assertSameTraining("t", straight, control, trained(listOf(0.5, 0.251), 3f, 4.05f)) shouldBe false
        shouldThrow<AssertionError> {
            TrainingDeterminism.assertSameTraining("t", straight, control, trained(listOf(0.5, 0.25), 3f, 4.2f))
        }.message shouldContain "relative L2"
        shouldThrow<AssertionError> {
            TrainingDeterminism.assertSameTraining("t", straight, control, trained(listOf(0.5, 0.26), 3f, 4f))
        }.message shouldContain "val_loss"
    }

    test("a session past the step limit is stopped with a message saying why") {
        val limit = TrainingDeterminism.StepLimit()
        val event = org.jetbrains.kotlinx.dl.api.core.history.BatchTrainingEvent(1, 0, 0.5, emptyList())
        val history = org.jetbrains.kotlinx.dl.api.core.history.TrainingHistory()
        repeat(TrainingDeterminism.MAX_STEPS_PER_SESSION) { limit.onTrainBatchEnd(it, 32, event, history) }
        shouldThrow<IllegalStateException> { limit.onTrainBatchEnd(90, 32, event, history) }.message shouldContain
            "this session ran 91 training steps"
    }
})

package dev.ckpt.kotlindl

import dev.ckpt.CheckpointKind
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.booleans.shouldBeFalse
import io.kotest.matchers.booleans.shouldBeTrue
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldContain
import org.jetbrains.kotlinx.dl.api.core.Sequential

/**
 * Snapshots taken with [SnapshotBuffers] reuse the previous snapshot's host arrays only once that snapshot was
 * released, so a snapshot still being written keeps the floats of its own step.
 */
class SnapshotBuffersSpec : FunSpec({
    val train = Digits.train()

    fun trained(): Sequential = Digits.newCompiledModel().also { it.fit(train, 1, 32) }

    fun ModelSnapshot.bytes(): Map<String, List<Byte>> = files().associate { it.path to it.bytes().toList() }

    test("a snapshot not yet released keeps its step's floats while the model trains and the next snapshot is taken") {
        trained().use { model ->
            val config = ModelSnapshot.configurationOf(model)
            val buffers = SnapshotBuffers()
            val first = ModelSnapshot.take(model, CheckpointKind.FULL, config, buffers)
            val expected = ModelSnapshot.take(model, CheckpointKind.FULL, config).bytes()
            first.bytes() shouldBe expected

            model.fit(train, 1, 32)
            val second = ModelSnapshot.take(model, CheckpointKind.FULL, config, buffers)

            second.bytes() shouldNotBe expected // training moved the weights, so overwriting would show
            first.bytes() shouldBe expected
            val variables = variableBits(model, includeOptimizer = true).size
            (0 until variables).forEach { i -> (first.leasedArray(i) === second.leasedArray(i)).shouldBeFalse() }
            buffers.reusedArrays() shouldBe 0L
        }
    }

    test("a released snapshot's arrays are the next snapshot's, with that snapshot's floats in them") {
        trained().use { model ->
            val buffers = SnapshotBuffers()
            val first = ModelSnapshot.take(model, CheckpointKind.FULL, ModelSnapshot.configurationOf(model), buffers)
            val firstArrays = (0 until variableBits(model, includeOptimizer = true).size).map { first.leasedArray(it) }
            first.release()

            model.fit(train, 1, 32)
            val second = ModelSnapshot.take(model, CheckpointKind.FULL, ModelSnapshot.configurationOf(model), buffers)

            firstArrays.forEachIndexed { i, array -> (second.leasedArray(i) === array).shouldBeTrue() }
            buffers.reusedArrays() shouldBe firstArrays.size.toLong()
            second.bytes() shouldBe ModelSnapshot.take(model, CheckpointKind.FULL, ModelSnapshot.configurationOf(model)).bytes()
        }
    }

    test("a released snapshot refuses to be read, since its arrays may hold the next snapshot's floats") {
        trained().use { model ->
            val snapshot = ModelSnapshot.take(model, CheckpointKind.WEIGHTS, null, SnapshotBuffers())
            val kernel = snapshot.files().first { it.path.endsWith("kernel.txt") }
            snapshot.release()
            val e = shouldThrow<IllegalStateException> { kernel.bytes() }
            e.message shouldContain "its snapshot was released"
        }
    }
})

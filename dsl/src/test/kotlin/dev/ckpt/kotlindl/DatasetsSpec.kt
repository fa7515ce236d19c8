package dev.ckpt.kotlindl

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldMatch
import org.jetbrains.kotlinx.dl.dataset.Dataset
import org.jetbrains.kotlinx.dl.dataset.OnHeapDataset

/** The rest-of-epoch view and the data fingerprint that [dev.ckpt.CheckpointCallback.fit] resumes with. */
class DatasetsSpec : FunSpec({
    val train = Digits.train()

    /** Each batch as (feature bits, label bits), the way KotlinDL's fit iterates the dataset. */
    fun batches(data: Dataset, size: Int): List<Pair<List<List<Int>>, List<Int>>> =
        data.batchIterator(size).asSequence().filterNotNull().map { batch ->
            batch.x.map { row -> row.map(java.lang.Float::floatToRawIntBits) } to batch.y.map(java.lang.Float::floatToRawIntBits)
        }.toList()

    val full = batches(train, 32)

    test("the digits training split has 45 batches of 32, the last one short") {
        full.size shouldBe 45
        full.last().second.size shouldBe 1437 - 44 * 32
    }

    context("the tail after k batches iterates exactly the full dataset's batches from batch k on") {
        withData(0, 1, 15, 44, 45) { k ->
            val tail = DatasetTail(train, minOf(k * 32, train.xSize()))
            batches(tail, 32) shouldBe full.drop(k)
            tail.xSize() shouldBe train.xSize() - minOf(k * 32, train.xSize())
        }
    }

    test("a tail past the end of the data is refused") {
        shouldThrow<IllegalArgumentException> { DatasetTail(train, 1438) }.message shouldBe "from must be in 0..1437, got 1438"
    }

    test("the tail refuses to be split or shuffled, saying why") {
        val tail = DatasetTail(train, 32)
        shouldThrow<UnsupportedOperationException> { tail.shuffle() }.message shouldBe
            "the rest of an interrupted epoch cannot be shuffled: its order is the checkpoint's"
        shouldThrow<UnsupportedOperationException> { tail.split(0.5) }.message shouldBe
            "the rest of an interrupted epoch cannot be split; split the full dataset"
    }

    test("the fingerprint is 16 hex digits, equal for equal data in the same order") {
        DataFingerprint.of(train) shouldMatch Regex("[0-9a-f]{16}")
        DataFingerprint.of(Digits.train()) shouldBe DataFingerprint.of(train)
    }

    test("the fingerprint tells a shuffled order, a shorter dataset and another dataset apart") {
        val fingerprint = DataFingerprint.of(train)
        DataFingerprint.of(Digits.train().shuffle()) shouldNotBe fingerprint
        DataFingerprint.of(OnHeapDataset.create(train.x.copyOf(1436).requireNoNulls(), train.y.copyOf(1436))) shouldNotBe fingerprint
        DataFingerprint.of(Digits.validation()) shouldNotBe fingerprint
    }

    test("the fingerprint sees a changed label at a sampled position") {
        val y = train.y.copyOf()
        y[0] = (y[0] + 1f) % 10f
        DataFingerprint.of(OnHeapDataset.create(train.x, y)) shouldNotBe DataFingerprint.of(train)
    }
})

package dev.ckpt.kotlindl

import org.jetbrains.kotlinx.dl.dataset.DataBatch
import org.jetbrains.kotlinx.dl.dataset.Dataset
import java.nio.ByteBuffer
import java.security.MessageDigest

/**
 * A fingerprint of a dataset's examples in their order: SHA-256 over the size and up to [SAMPLES] evenly spaced
 * examples (their position, features and label, as raw float bits), shortened to 16 hex digits.
 *
 * It tells the obvious mismatches apart — another dataset, another size, a shuffled order — at a cost that does not
 * grow with the dataset (an `OnFlyImageDataset` reads one image file per sampled example). It deliberately does not
 * notice an edit to an example it did not sample.
 */
internal object DataFingerprint {
    const val SAMPLES: Int = 256

    fun of(data: Dataset): String {
        val size = data.xSize()
        val digest = MessageDigest.getInstance("SHA-256")
        digest.update(ByteBuffer.allocate(Int.SIZE_BYTES).putInt(size).array())
        val samples = minOf(size, SAMPLES)
        for (k in 0 until samples) {
            val index = if (samples == 1) 0 else ((k.toLong() * (size - 1)) / (samples - 1)).toInt()
            val x = data.getX(index)
            val buffer = ByteBuffer.allocate(Int.SIZE_BYTES * (x.size + 3))
            buffer.putInt(index).putInt(x.size)
            for (v in x) buffer.putInt(java.lang.Float.floatToRawIntBits(v))
            buffer.putInt(java.lang.Float.floatToRawIntBits(data.getY(index)))
            digest.update(buffer.array())
        }
        return digest.digest().take(8).joinToString("") { "%02x".format(it) }
    }
}

/**
 * The examples of [base] from position [from] on, in order, as a KotlinDL dataset: what is left of an epoch whose
 * first `from / batchSize` batches were trained before a checkpoint. `fit` iterates it in batches that hold exactly
 * the examples (and labels) the same batches of [base] hold; nothing is copied but row references.
 *
 * A view for `fit` only: it refuses [split] and [shuffle], which would change what "the rest of the epoch" means.
 */
internal class DatasetTail(private val base: Dataset, private val from: Int) : Dataset() {
    init {
        require(from in 0..base.xSize()) { "from must be in 0..${base.xSize()}, got $from" }
    }

    override fun xSize(): Int = base.xSize() - from

    override fun getX(idx: Int): FloatArray = base.getX(from + idx)

    override fun getY(idx: Int): Float = base.getY(from + idx)

    override fun createDataBatch(batchStart: Int, batchLength: Int): DataBatch = KotlinDlAccess.dataBatch(
        Array(batchLength) { base.getX(from + batchStart + it) },
        FloatArray(batchLength) { base.getY(from + batchStart + it) },
        batchLength,
    )

    override fun split(splitRatio: Double): Pair<Dataset, Dataset> =
        throw UnsupportedOperationException("the rest of an interrupted epoch cannot be split; split the full dataset")

    override fun shuffle(): Dataset =
        throw UnsupportedOperationException("the rest of an interrupted epoch cannot be shuffled: its order is the checkpoint's")
}

package dev.ckpt.samples

import org.jetbrains.kotlinx.dl.dataset.OnHeapDataset
import java.io.BufferedReader
import java.io.InputStreamReader
import java.util.zip.GZIPInputStream
import kotlin.random.Random

/**
 * The UCI handwritten digits (1,797 8x8 images, pixel values 0..16, labels 0..9), shipped with the
 * samples as `digits.csv.gz`, split into training and validation sets with a fixed seed.
 *
 * ```kotlin
 * val (train, valid) = Digits.load().split()
 * ```
 *
 * It does not download anything: the data is a classpath resource of this module.
 */
public class Digits private constructor(
    /** Pixels scaled to 0..1, one row of 64 per image. */
    public val features: Array<FloatArray>,
    /** Class index 0..9 of each image, as KotlinDL's sparse labels expect. */
    public val labels: FloatArray,
) {
    /** Number of images. */
    public val size: Int get() = labels.size

    /**
     * Shuffles with [seed] and splits off the last [validationFraction] as validation data.
     * The same seed always gives the same split.
     */
    @JvmOverloads
    public fun split(validationFraction: Double = 0.2, seed: Int = 42): Split {
        require(validationFraction > 0.0 && validationFraction < 1.0) {
            "validationFraction: must be between 0 and 1 (exclusive), got $validationFraction"
        }
        val order = (0 until size).shuffled(Random(seed))
        val trainCount = size - (size * validationFraction).toInt()
        fun take(indices: List<Int>) = OnHeapDataset.create(
            Array(indices.size) { features[indices[it]] },
            FloatArray(indices.size) { labels[indices[it]] },
        )
        return Split(take(order.subList(0, trainCount)), take(order.subList(trainCount, size)))
    }

    /** A training set and a validation set. */
    public data class Split(public val train: OnHeapDataset, public val validation: OnHeapDataset)

    public companion object {
        private const val RESOURCE = "/digits.csv.gz"
        private const val PIXELS = 64
        private const val MAX_PIXEL = 16f

        /** Reads the bundled data set. */
        @JvmStatic
        public fun load(): Digits {
            val stream = Digits::class.java.getResourceAsStream(RESOURCE)
                ?: error("digits data set missing from the classpath: expected resource $RESOURCE")
            val rows = BufferedReader(InputStreamReader(GZIPInputStream(stream), Charsets.US_ASCII)).use { reader ->
                reader.lineSequence().filter { it.isNotBlank() }.map { line ->
                    val cells = line.split(',')
                    check(cells.size == PIXELS + 1) {
                        "digits.csv.gz: expected ${PIXELS + 1} values per line, got ${cells.size}"
                    }
                    cells
                }.toList()
            }
            val features = Array(rows.size) { r -> FloatArray(PIXELS) { c -> rows[r][c].trim().toFloat() / MAX_PIXEL } }
            val labels = FloatArray(rows.size) { r -> rows[r][PIXELS].trim().toFloat() }
            return Digits(features, labels)
        }
    }
}

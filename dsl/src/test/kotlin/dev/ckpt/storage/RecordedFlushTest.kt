package dev.ckpt.storage

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.io.IOException

/**
 * A manifest replacement that landed but whose directory flush failed: the commit is recorded on disk, so the
 * writer's next manifest must build on it, not on the manifest before it.
 */
class RecordedFlushTest : FunSpec({
    test("after a flush failure following a recorded commit, the next commit keeps the recorded checkpoint listed") {
        DefaultSandbox().use { box ->
            var failNextFlush = false
            val files = FileRunStore(box.run)
            val store = object : RunStore by files {
                override fun replaceManifest(bytes: ByteArray, hook: (StorageStep) -> Unit) {
                    files.replaceManifest(bytes, hook)
                    if (failNextFlush) {
                        failNextFlush = false
                        throw ManifestRecordedException(IOException("fsync of the run directory failed (simulated)"))
                    }
                }
            }
            RunWriter.open(store, "fp-1", FIXED_CLOCK, "t").use { w ->
                w.save("e01", 1)
                failNextFlush = true
                shouldThrow<IOException> { w.save("e02", 2) }.message shouldContain "was committed and recorded"
                w.save("e03", 3)
            }
            val run = box.reader()
            run.checkpoints.map { it.path } shouldContainExactly listOf("e01", "e02", "e03")
            run.verify().allOk shouldBe true
        }
    }
})

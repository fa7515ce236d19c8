package dev.ckpt

import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit

class SaveQueueSpec : FunSpec({
    test("an interrupted wait leaves the save in flight, so the next wait collects it instead of closing under it") {
        val queue = SaveQueue.Background<String>("interrupted")
        val gate = CountDownLatch(1)
        try {
            queue.submit { check(gate.await(60, TimeUnit.SECONDS)) { "the test never opened the gate" }; "committed" }
            Thread.currentThread().interrupt()
            shouldThrow<InterruptedException> { queue.await() }
            queue.poll() shouldBe null // still running: not collected, not forgotten
            gate.countDown()
            queue.await() shouldBe "committed"
        } finally {
            gate.countDown()
            queue.close()
        }
    }
})

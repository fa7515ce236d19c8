package dev.ckpt.storage

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.shouldBe
import io.kotest.property.Arb
import io.kotest.property.arbitrary.int
import io.kotest.property.arbitrary.list
import io.kotest.property.checkAll
import java.nio.file.Files

/**
 * Random sequences of commits (to a few epoch paths and one fixed path) that release earlier checkpoints: after
 * every operation the manifest on disk equals the writer's, every listed checkpoint verifies, best and latest are
 * listed, no checkpoint directory is left unlisted, and foreign files planted in and beside checkpoints are never
 * touched.
 */
class RetentionPropertyTest : FunSpec({

    test("releases and overwrites keep the run consistent and never touch foreign files") {
        checkAll(60, Arb.list(Arb.int(0..99), 1..25)) { ops ->
            JimfsSandbox().use { box ->
                val foreign = mutableMapOf<String, String>()
                openWriter(box.run).use { w ->
                    var epoch = 0
                    for (op in ops) {
                        val kept = w.manifest.checkpoints.map { it.path }
                        val releasable = kept.filter { it != w.manifest.best && it != w.manifest.latest }
                        when {
                            op < 40 -> {
                                epoch++
                                val path = if (op < 15) "last" else "e%03d".format(epoch)
                                val release = if (op % 2 == 0) releasable.filter { it != path }.take(op % 3) else emptyList()
                                w.save(path, epoch, "$path-$epoch", best = op % 3 == 0, release = release)
                                w.release().shouldBeEmpty()
                            }
                            op < 50 && kept.isNotEmpty() -> {
                                // Plant foreign files in (when the checkpoint is not a fixed-path one) and beside a checkpoint.
                                val target = kept[op % kept.size]
                                val beside = "$target.notes-$op"
                                Files.writeString(box.run.resolve(beside), "foreign $op")
                                foreign[beside] = "foreign $op"
                                if (target != "last") {
                                    val inside = "$target/variables/foreign-$op.txt"
                                    Files.writeString(box.run.resolve(inside), "foreign $op")
                                    foreign[inside] = "foreign $op"
                                }
                            }
                            else -> {
                                epoch++
                                w.save("e%03d".format(epoch), epoch, "e$epoch", best = op % 2 == 0)
                            }
                        }
                        val reader = w.reader()
                        reader(box.run).manifest shouldBe w.manifest
                        reader.verify().allOk shouldBe true
                        w.manifest.best?.let { reader.checkpoints.map { c -> c.path } shouldContain it }
                        w.manifest.latest?.let { reader.checkpoints.map { c -> c.path } shouldContain it }
                        for ((path, content) in foreign) Files.readString(box.run.resolve(path)) shouldBe content
                        leftovers(box.run).shouldBeEmpty()
                        unlistedCheckpoints(box.run).shouldBeEmpty()
                    }
                }
                openWriter(box.run).use { }
                for ((path, content) in foreign) Files.readString(box.run.resolve(path)) shouldBe content
            }
        }
    }
})

package dev.ckpt.storage

import dev.ckpt.Checkpoints
import dev.ckpt.CorruptRunException
import dev.ckpt.RunLockedException
import dev.ckpt.core.policy.CheckpointPolicy
import dev.ckpt.core.policy.Retention
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.matchers.shouldBe
import java.nio.file.Files
import java.nio.file.NoSuchFileException
import java.nio.file.Path
import java.time.Duration
import java.time.Instant

/** [Checkpoints.prune]: the core's retention applied to a finished run through the run's writer. */
class PruneTest : FunSpec({
    val policy = CheckpointPolicy.builder("runs/x/e{epoch:02d}").monitor("val_accuracy").build() // AUTO: MAX

    /** e01..e06 with val_accuracy 0.50, 0.70, 0.90, 0.60, 0.80, 0.55; best e03, latest e06. */
    fun sixEpochs(root: Path, fingerprint: String = policy.fingerprint()) {
        val values = listOf(0.50, 0.70, 0.90, 0.60, 0.80, 0.55)
        RunWriter.open(FileRunStore(root), fingerprint, FIXED_CLOCK).use { w ->
            values.forEachIndexed { i, v ->
                w.save("e%02d".format(i + 1), i + 1, best = i == 2, metrics = mapOf("val_accuracy" to v))
            }
        }
    }

    context("prune releases what the rules do not keep, never the best or the latest") {
        withData(
            nameFn = { "${it.first.summary()}: releases ${it.second}" },
            Retention.keepAll().withKeepLast(1) to listOf("e01", "e02", "e04", "e05"),
            Retention.keepAll().withKeepLast(2) to listOf("e01", "e02", "e04"),
            Retention.keepAll().withKeepBest(2) to listOf("e01", "e02", "e04"),
            Retention.keepAll().withKeepBest(1).withKeepLast(3) to listOf("e01", "e02"),
            Retention.keepAll().withKeepBest(6) to emptyList(),
        ) { (retention, released) ->
            JimfsSandbox().use { box ->
                sixEpochs(box.run)
                val report = Checkpoints.prune(box.run, retention)
                report.released shouldBe released
                report.dryRun shouldBe false
                report.errors shouldBe emptyList()
                val run = Checkpoints.open(box.run)
                run.all.map { it.path } shouldBe report.kept
                report.kept shouldBe listOf("e01", "e02", "e03", "e04", "e05", "e06") - released.toSet()
                run.best().path shouldBe "e03"
                run.latest().path shouldBe "e06"
                run.pendingReleases shouldBe emptyList()
                run.verify().allOk shouldBe true
                released.forEach { Files.exists(box.run.resolve(it)) shouldBe false }
            }
        }
    }

    test("keep one per span keeps the chain by each checkpoint's recorded createdAt, with the best and the latest") {
        JimfsSandbox().use { box ->
            // Created at minutes 0, 100, 190, 250, 370, 400: with 3 hours, the chain is e01, e03 (190), e05 (370).
            val minutes = listOf(0L, 100L, 190L, 250L, 370L, 400L)
            RunWriter.open(FileRunStore(box.run), policy.fingerprint(), FIXED_CLOCK).use { w ->
                minutes.forEachIndexed { i, m ->
                    val path = "e%02d".format(i + 1)
                    val facts = facts(i + 1, best = i == 1).copy(createdAt = Instant.EPOCH.plus(Duration.ofMinutes(m)))
                    w.commit(path, facts, model("v$i"), w.planned(path, if (i >= 1) "e02" else null))
                }
            }
            val report = Checkpoints.prune(box.run, Retention.keepAll().withKeepOnePer(Duration.ofHours(3)))
            report.released shouldBe listOf("e04")
            report.kept shouldBe listOf("e01", "e02", "e03", "e05", "e06")
            // Pruning again with the same rule finds the same chain in what is left: nothing more goes.
            Checkpoints.prune(box.run, Retention.keepAll().withKeepOnePer(Duration.ofHours(3))).released shouldBe emptyList()
            Checkpoints.open(box.run).all.map { it.createdAt } shouldBe listOf(0L, 100L, 190L, 370L, 400L).map {
                Instant.EPOCH.plus(Duration.ofMinutes(it))
            }
        }
    }

    test("a dry run reports the same releases and changes nothing") {
        DefaultSandbox().use { box ->
            sixEpochs(box.run)
            val before = snapshot(box.run)
            val report = Checkpoints.prune(box.run.toString(), Retention.keepAll().withKeepLast(2), dryRun = true)
            report.released shouldBe listOf("e01", "e02", "e04")
            report.dryRun shouldBe true
            report.releasedBytes shouldBe listOf("e01", "e02", "e04").sumOf { Checkpoints.open(box.run).all.first { c -> c.path == it }.sizeBytes() }
            snapshot(box.run) shouldBe before
        }
    }

    test("released bytes are the recorded sizes of the released checkpoints") {
        DefaultSandbox().use { box ->
            sixEpochs(box.run)
            val sizes = Checkpoints.open(box.run).all.associate { it.path to it.sizeBytes() }
            val onDisk = Files.walk(box.run.resolve("e01")).use { s -> s.filter { Files.isRegularFile(it) }.mapToLong { Files.size(it) }.sum() }
            sizes.getValue("e01") shouldBe onDisk
            Checkpoints.prune(box.run, Retention.keepAll().withKeepLast(1)).releasedBytes shouldBe
                listOf("e01", "e02", "e04", "e05").sumOf { sizes.getValue(it) }
        }
    }

    test("pruning writes the manifest twice (releasing, then gone) and keeps the run's policy fingerprint") {
        JimfsSandbox().use { box ->
            sixEpochs(box.run)
            val writes = ArrayList<Manifest>()
            val store = object : RunStore by FileRunStore(box.run) {
                override fun replaceManifest(bytes: ByteArray, hook: (StorageStep) -> Unit) {
                    writes += Codecs.decodeManifest("manifest", bytes)
                    FileRunStore(box.run).replaceManifest(bytes, hook)
                }
            }
            dev.ckpt.Pruning.prune(store, Retention.keepAll().withKeepLast(2), dryRun = false)
            writes.map { w -> w.releasing.map { it.path } } shouldBe listOf(listOf("e01", "e02", "e04"), emptyList())
            writes.map { it.policySettings }.distinct() shouldBe listOf(policy.fingerprint())
        }
    }

    test("files ckpt did not write stay, in and beside released checkpoints") {
        JimfsSandbox().use { box ->
            sixEpochs(box.run)
            Files.writeString(box.run.resolve("e01/notes.txt"), "mine")
            Files.writeString(box.run.resolve("e02.txt"), "mine too")
            Checkpoints.prune(box.run, Retention.keepAll().withKeepLast(1))
            snapshot(box.run.resolve("e01")) shouldBe mapOf("notes.txt" to "mine")
            Files.readString(box.run.resolve("e02.txt")) shouldBe "mine too"
            Checkpoints.open(box.run).all.map { it.path } shouldBe listOf("e03", "e06")
        }
    }

    test("a run a writer holds is refused and left as it was") {
        JimfsSandbox().use { box ->
            sixEpochs(box.run)
            openWriter(box.run).use {
                val before = snapshot(box.run)
                shouldThrow<RunLockedException> { Checkpoints.prune(box.run, Retention.keepAll().withKeepLast(1)) }.message shouldBe
                    "run ${box.run} is already open for writing by test owner pid 42; a run accepts one writer at a time: " +
                    "wait for that training to finish, or write to another directory"
                snapshot(box.run) shouldBe before
            }
        }
    }

    test("rules that keep everything are refused") {
        JimfsSandbox().use { box ->
            sixEpochs(box.run)
            shouldThrow<IllegalArgumentException> { Checkpoints.prune(box.run, Retention.keepAll()) }.message shouldBe
                "retention: prune needs a rule that releases something, got keep all; set keepBest, keepLast, keepEveryNthEpoch or keepOnePer"
        }
    }

    test("keep-best on a run that recorded no monitor direction is refused; keep-last still works") {
        JimfsSandbox().use { box ->
            sixEpochs(box.run, fingerprint = "fp-1")
            shouldThrow<IllegalArgumentException> { Checkpoints.prune(box.run, Retention.keepAll().withKeepBest(1)) }.message shouldBe
                "keepBest: ranks checkpoints by the monitored metric, but run ${box.run} does not record which way its " +
                "monitor improves (the policyFingerprint of its manifest.json names no direction MIN or MAX); use keepLast instead"
            Checkpoints.prune(box.run, Retention.keepAll().withKeepLast(1)).released shouldBe listOf("e01", "e02", "e04", "e05")
        }
    }

    test("a missing run and a damaged manifest give the same errors as opening the run") {
        JimfsSandbox().use { box ->
            val missing = shouldThrow<NoSuchFileException> { Checkpoints.prune(box.run, Retention.keepAll().withKeepLast(1)) }
            missing.message shouldBe shouldThrow<NoSuchFileException> { Checkpoints.open(box.run) }.message
            Files.exists(box.run) shouldBe false
            sixEpochs(box.run)
            Files.writeString(box.run.resolve(MANIFEST_FILE), "{\"formatVersion\": 2, \"runId\": ")
            val damaged = shouldThrow<CorruptRunException> { Checkpoints.prune(box.run, Retention.keepAll().withKeepLast(1)) }
            damaged.message shouldBe shouldThrow<CorruptRunException> { Checkpoints.open(box.run) }.message
        }
    }

    test("releasing outside a commit refuses the best, the latest and unlisted paths") {
        JimfsSandbox().use { box ->
            sixEpochs(box.run)
            openWriter(box.run).use { w ->
                shouldThrow<IllegalArgumentException> { w.releaseNow(listOf("e03")) }.message shouldBe
                    "\"e03\" cannot be released: it is the best checkpoint of run ${box.run}"
                shouldThrow<IllegalArgumentException> { w.releaseNow(listOf("e06")) }.message shouldBe
                    "\"e06\" cannot be released: it is the latest checkpoint of run ${box.run}"
                shouldThrow<IllegalArgumentException> { w.releaseNow(listOf("e99")) }.message shouldBe
                    "\"e99\" cannot be released: it is not a checkpoint of run ${box.run}"
            }
        }
    }
})

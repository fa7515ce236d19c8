@file:JvmName("DigitsS3")

package dev.ckpt.samples

import dev.ckpt.Checkpoints
import java.io.PrintStream
import kotlin.system.exitProcess

/**
 * The main job with its run on S3: starts an S3 server on 127.0.0.1 ([LocalS3]), trains the digits classifier with
 * a policy whose filepath is `s3://ckpt-demo/runs/digits/...`, lists the run from S3, then restores the best
 * checkpoint from S3 into a fresh model and checks its validation accuracy against the logged one.
 *
 * Run from the repository root: `mvn -B -q -pl samples -am compile exec:exec -Dexec.mainClass=dev.ckpt.samples.DigitsS3`
 * (optional argument: the number of epochs). For a real bucket, drop [LocalS3] and set `AWS_REGION` and
 * credentials as for any AWS SDK program; see `docs/storage.md`.
 */
public fun main(args: Array<String>) {
    val epochs = args.getOrNull(0)?.takeIf { it.isNotBlank() }?.toInt() ?: 10
    val outcome = LocalS3.start(BUCKET).use { s3 ->
        println("ckpt digits sample on S3: S3Proxy serving s3://$BUCKET at ${s3.endpoint} (in this JVM, objects in memory)")
        runDigitsOnS3("s3://$BUCKET/runs/digits", epochs, System.out)
    }
    exitProcess(if (outcome.restoredMatchesLogged) 0 else 1)
}

private const val BUCKET = "ckpt-demo"

/** Trains into the run at [run] (an `s3://` location), lists it, restores its best checkpoint; reports on [out]. */
public fun runDigitsOnS3(run: String, epochs: Int, out: PrintStream): DigitsOutcome {
    val (train, validation) = Digits.load().split()
    out.println("${train.xSize()} training images, ${validation.xSize()} validation images, $epochs epochs")

    val saver = trainWithCheckpoints(run, train, validation, epochs, out)

    // A fresh view, read from S3: what another machine would see.
    val stored = Checkpoints.open(run)
    printKept(saver, stored, out)
    val report = stored.verify()
    out.println("verify: ${report.results.count { it.status == dev.ckpt.CheckpointStatus.Ok }} of ${report.results.size} checkpoints intact (every object re-hashed from S3)")

    val best = stored.best()
    val logged = best.metrics.getValue("val_accuracy")
    val restored = best.loadModel(DigitsModel::compile).use { model -> DigitsModel.accuracy(model, validation) }
    out.println()
    out.println("Restored best checkpoint ${best.location} (epoch ${best.epoch}) from S3 into a fresh model:")
    out.println("  validation accuracy %.4f (logged at epoch %d: %.4f) %s".format(restored, best.epoch, logged, if (restored == logged) "- identical" else "- differs"))
    return DigitsOutcome(best.epoch, logged, restored, stored.all.map { it.path })
}

package dev.ckpt.s3

import dev.ckpt.Checkpoints
import dev.ckpt.checkpoint

/**
 * Run by [S3MessagesSpec] in a child JVM whose class path lacks the AWS SDK: prints what ckpt says when an `s3://`
 * run is opened, and the run location a callback names (which needs no SDK).
 */
object WithoutSdk {
    @JvmStatic
    fun main(args: Array<String>) {
        val sdk = try {
            Class.forName("software.amazon.awssdk.services.s3.S3Client")
            "present"
        } catch (e: ClassNotFoundException) {
            "absent"
        }
        println("SDK $sdk")
        println("LOCATION " + checkpoint("s3://ckpt-demo/runs/digits/e{epoch:02d}").runLocation)
        try {
            Checkpoints.open("s3://ckpt-demo/runs/digits")
            println("OPENED")
        } catch (e: Exception) {
            println("ERROR ${e.javaClass.name}: ${e.message}")
        }
    }
}

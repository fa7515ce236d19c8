package dev.ckpt.cli

import dev.ckpt.checkpoint
import org.gaul.s3proxy.AuthenticationType
import org.gaul.s3proxy.S3Proxy
import org.jclouds.ContextBuilder
import org.jclouds.blobstore.BlobStoreContext
import java.net.URI
import java.nio.file.Path
import java.util.Properties
import kotlin.system.exitProcess

/**
 * An S3 server in a process of its own, as a user runs one: S3Proxy 2.9.0 on 127.0.0.1 (an ephemeral port) with
 * jclouds' filesystem backend under `args[0]`, AWS v2/v4 authorization with access key `args[2]` and secret
 * `args[3]`, and one empty bucket `args[1]`. Prints `LISTENING http://127.0.0.1:<port>` once it serves, and stops
 * when its stdin closes (the test closes it, or dies).
 */
object S3ServerMain {
    @JvmStatic
    fun main(args: Array<String>) {
        val (directory, bucket, accessKey, secretKey) = args
        val context = ContextBuilder.newBuilder("filesystem")
            .credentials("unused", "unused")
            .overrides(Properties().apply { setProperty("jclouds.filesystem.basedir", Path.of(directory).toString()) })
            .build(BlobStoreContext::class.java)
        context.blobStore.createContainerInLocation(null, bucket)
        val proxy = S3Proxy.builder()
            .blobStore(context.blobStore)
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
            .build()
        proxy.start()
        // S3Proxy starts Jetty asynchronously; the test waits for the line below, which comes only once it serves.
        while (proxy.state != "STARTED") {
            check(proxy.state != "FAILED") { "S3Proxy did not start: ${proxy.state}" }
            Thread.sleep(5)
        }
        println("LISTENING http://127.0.0.1:${proxy.port}")
        System.out.flush()
        while (System.`in`.read() >= 0) Unit
        proxy.stop()
        context.close()
        exitProcess(0)
    }
}

/**
 * A training in a process of its own, configured only by its environment (the S3 settings of docs/storage.md): trains the
 * digits classifier for `args[1]` epochs into the filepath template `args[0]`, keeping the best and the last three,
 * and prints `TRAINED`.
 */
object S3TrainMain {
    @JvmStatic
    fun main(args: Array<String>) {
        val (filepath, epochs) = args
        Digits.newCompiledModel().use { model ->
            model.fit(
                Digits.train(), Digits.validation(), epochs.toInt(), Digits.BATCH_SIZE, 64,
                listOf(checkpoint(filepath) { monitor = "val_accuracy"; mode = MAX; keepBest = 1; keepLast = 3 }),
            )
        }
        println("TRAINED")
        exitProcess(0)
    }
}

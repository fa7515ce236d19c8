package dev.ckpt.samples

import org.gaul.s3proxy.AuthenticationType
import org.gaul.s3proxy.S3Proxy
import org.jclouds.ContextBuilder
import org.jclouds.blobstore.BlobStoreContext
import java.net.URI

/**
 * An S3 server for the S3 sample: S3Proxy on 127.0.0.1 (an ephemeral port), in this JVM, keeping objects in
 * memory; and the AWS SDK pointed at it the way a user points it at any S3-compatible server, through the
 * standard settings (here as system properties; `AWS_ENDPOINT_URL`, `AWS_REGION`... in the environment work the
 * same), plus `ckpt.s3.pathStyle` for path-style addressing.
 *
 * ```kotlin
 * LocalS3.start("ckpt-demo").use { s3 -> println(s3.endpoint) }
 * ```
 *
 * It deliberately is not a mock: ckpt talks HTTP to a real S3 API server. Nothing leaves the machine.
 */
public class LocalS3 private constructor(private val context: BlobStoreContext, private val proxy: S3Proxy) : AutoCloseable {
    private val saved = HashMap<String, String?>()

    /** Where the server listens: `http://127.0.0.1:<port>`. */
    public val endpoint: URI get() = URI.create("http://127.0.0.1:${proxy.port}")

    private fun configureSdk() {
        settings().forEach { (name, value) ->
            saved[name] = System.getProperty(name)
            System.setProperty(name, value)
        }
    }

    private fun settings(): Map<String, String> = mapOf(
        "aws.endpointUrl" to endpoint.toString(),
        "aws.region" to "us-east-1",
        "aws.accessKeyId" to ACCESS_KEY,
        "aws.secretAccessKey" to SECRET_KEY,
        // S3Proxy rejects the CRC32 trailers the SDK adds by default (since 2.30); checksums only where S3 requires them.
        "aws.requestChecksumCalculation" to "when_required",
        "aws.responseChecksumValidation" to "when_required",
        "ckpt.s3.pathStyle" to "true",
    )

    /** Stops the server and puts the settings back. */
    override fun close() {
        saved.forEach { (name, value) -> if (value == null) System.clearProperty(name) else System.setProperty(name, value) }
        proxy.stop()
        context.close()
    }

    public companion object {
        private const val ACCESS_KEY = "ckpt-sample"
        private const val SECRET_KEY = "ckpt-sample-secret"

        /** Starts the server with an empty bucket named [bucket] and points the AWS SDK at it. */
        @JvmStatic
        public fun start(bucket: String): LocalS3 {
            val context = ContextBuilder.newBuilder("transient").credentials("unused", "unused").build(BlobStoreContext::class.java)
            context.blobStore.createContainerInLocation(null, bucket)
            val proxy = S3Proxy.builder()
                .blobStore(context.blobStore)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .ignoreUnknownHeaders(true)
                .build()
            proxy.start()
            val deadline = System.nanoTime() + 30_000_000_000L
            while (proxy.state != "STARTED") {
                check(System.nanoTime() < deadline) { "S3Proxy did not start: ${proxy.state}" }
                Thread.sleep(5)
            }
            return LocalS3(context, proxy).also { it.configureSdk() }
        }
    }
}

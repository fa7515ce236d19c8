package dev.ckpt.s3

import dev.ckpt.storage.S3Location
import dev.ckpt.storage.S3Objects
import dev.ckpt.storage.S3RunStore
import org.gaul.s3proxy.AuthenticationType
import org.gaul.s3proxy.S3Proxy
import org.jclouds.ContextBuilder
import org.jclouds.blobstore.BlobStore
import org.jclouds.blobstore.BlobStoreContext
import org.jclouds.blobstore.domain.Blob
import org.jclouds.http.HttpResponse
import org.jclouds.http.HttpResponseException
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient
import software.amazon.awssdk.regions.Region
import software.amazon.awssdk.services.s3.S3Client
import java.lang.reflect.InvocationTargetException
import java.lang.reflect.Proxy
import java.net.URI
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.util.Properties
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger

/**
 * One S3Proxy for the whole test JVM, in-process on 127.0.0.1 (an ephemeral port), with jclouds' *filesystem*
 * backend: bucket `b`'s object `k` is the file [bucketDirectory]`(b)/k`, so tests can look at and tamper with
 * what ckpt stored, like the file-system tests do. Started on first use (1-4 s), stopped when the JVM exits.
 *
 * Between S3Proxy and the backend sits [Faults], a `BlobStore` proxy that can fail PUTs server-side and can make
 * a bucket ignore `If-None-Match`/`If-Match` as servers without conditional writes do (S3Proxy 2.6.0 among them).
 * Tests isolate themselves with a fresh bucket each ([newBucket]).
 */
object S3TestServer {
    const val ACCESS_KEY: String = "ckpt-test-access"
    const val SECRET_KEY: String = "ckpt-test-secret"
    const val REGION: String = "us-east-1"

    private val buckets = AtomicInteger()
    private val started: Started by lazy { Started() }

    private class Started {
        val directory: Path = Files.createTempDirectory("ckpt-s3proxy")
        val context: BlobStoreContext = ContextBuilder.newBuilder("filesystem")
            .credentials("unused", "unused")
            .overrides(Properties().apply { setProperty("jclouds.filesystem.basedir", directory.toString()) })
            .build(BlobStoreContext::class.java)
        val proxy: S3Proxy = S3Proxy.builder()
            .blobStore(Faults.wrap(context.blobStore))
            .endpoint(URI.create("http://127.0.0.1:0"))
            .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
            // The SDK sends checksum headers S3Proxy does not know (x-amz-checksum-crc32 on DeleteObjects).
            .ignoreUnknownHeaders(true)
            .build()

        init {
            proxy.start()
            val deadline = System.nanoTime() + 20_000_000_000L
            while (proxy.state != "STARTED") {
                check(System.nanoTime() < deadline) { "S3Proxy did not start: ${proxy.state}" }
                Thread.sleep(5)
            }
            Runtime.getRuntime().addShutdownHook(Thread {
                proxy.stop()
                context.close()
                directory.toFile().deleteRecursively()
            })
        }
    }

    val endpoint: URI get() = URI.create("http://127.0.0.1:${started.proxy.port}")

    /** The directory of [bucket]'s objects. */
    fun bucketDirectory(bucket: String): Path = started.directory.resolve(bucket)

    /** A new, empty bucket. */
    fun newBucket(prefix: String = "ckpt-test"): String {
        val name = "$prefix-${buckets.incrementAndGet()}-${ProcessHandle.current().pid()}"
        started.context.blobStore.createContainerInLocation(null, name)
        return name
    }

    /**
     * A client of this server, as a test wants it: no retries by default (an injected fault stays a fault), checksums
     * only where S3 requires them unless [checksums] says otherwise (S3Proxy rejects the SDK's default CRC32 trailers).
     */
    fun client(maxAttempts: Int = 1, checksums: RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED): S3Client = S3Client.builder()
        .endpointOverride(endpoint)
        .forcePathStyle(true)
        .region(Region.of(REGION))
        .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
        .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(5)).socketTimeout(Duration.ofSeconds(30)).build())
        .requestChecksumCalculation(checksums)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
        .overrideConfiguration { it.retryStrategy { r -> r.maxAttempts(maxAttempts) } }
        .build()

    private val shared: S3Client by lazy { client() }

    /** A store of the run at `s3://bucket/prefix` on this server, with the shared no-retry client. */
    internal fun store(bucket: String, prefix: String = "runs/x", client: S3Client = shared, leaseSeconds: Long = 60): S3RunStore =
        S3RunStore(S3Location.parse(if (prefix.isEmpty()) "s3://$bucket" else "s3://$bucket/$prefix"), S3Objects(client, bucket), Duration.ofSeconds(leaseSeconds))

    /**
     * The settings by which clients built from the SDK's standard chain (ckpt's own, for `s3://` runs) reach this
     * server: as system properties of this JVM, or as `-D` options of a child JVM.
     */
    val chainSettings: Map<String, String>
        get() = mapOf(
            "aws.endpointUrl" to endpoint.toString(),
            "aws.region" to REGION,
            "aws.accessKeyId" to ACCESS_KEY,
            "aws.secretAccessKey" to SECRET_KEY,
            "aws.requestChecksumCalculation" to "when_required",
            "aws.responseChecksumValidation" to "when_required",
            "ckpt.s3.pathStyle" to "true",
        )

    /** Points ckpt's own S3 clients in this JVM at this server (the public API tests use them). */
    fun configureThisJvm() = chainSettings.forEach { (k, v) -> System.setProperty(k, v) }

    /** `-D` options for a child JVM whose ckpt writes to this server. */
    fun childJvmOptions(): List<String> = chainSettings.map { (k, v) -> "-D$k=$v" }
}

/**
 * Server-side faults, per bucket, in the `BlobStore` S3Proxy serves: the Nth PUT of a matching key fails with a
 * 500 (S3Proxy maps jclouds' HttpResponseException to its status) and stores nothing; a bucket can ignore
 * conditional headers, the way S3Proxy 2.6.0 does.
 */
object Faults {
    private class PutFault(val nth: Int, val sticky: Boolean, val matches: (String) -> Boolean) {
        val seen = AtomicInteger()
        val injected = AtomicInteger()
    }

    private val putFaults = ConcurrentHashMap<String, PutFault>()
    private val ignoringConditions: MutableSet<String> = ConcurrentHashMap.newKeySet()
    private val failingDeletes: MutableSet<String> = ConcurrentHashMap.newKeySet()
    private val failingCopies: MutableSet<String> = ConcurrentHashMap.newKeySet()

    /** Fails the [nth] PUT (and, if [sticky], every later one) in [bucket] whose key satisfies [matches]. */
    fun failPut(bucket: String, nth: Int, sticky: Boolean = false, matches: (String) -> Boolean = { true }) {
        putFaults[bucket] = PutFault(nth, sticky, matches)
    }

    /** How many PUTs in [bucket] failed by [failPut]. */
    fun injected(bucket: String): Int = putFaults[bucket]?.injected?.get() ?: 0

    /** Fails every DELETE in [bucket] with a 500. */
    fun failDeletes(bucket: String) {
        failingDeletes += bucket
    }

    /** Fails every server-side copy (CopyObject) in [bucket] with a 501, as a server without it answers. */
    fun failCopies(bucket: String) {
        failingCopies += bucket
    }

    fun clear(bucket: String) {
        putFaults.remove(bucket)
        ignoringConditions.remove(bucket)
        failingDeletes.remove(bucket)
        failingCopies.remove(bucket)
    }

    /** Makes [bucket] accept every PUT whatever its If-None-Match header says, like a server without conditional writes. */
    fun ignoreConditionalWrites(bucket: String) {
        ignoringConditions += bucket
    }

    internal fun wrap(delegate: BlobStore): BlobStore = Proxy.newProxyInstance(
        BlobStore::class.java.classLoader, arrayOf(BlobStore::class.java),
    ) { _, method, args ->
        val container = args?.firstOrNull() as? String
        if (method.name == "putBlob" && container != null && args.size >= 2) {
            val key = (args[1] as Blob).metadata.name
            putFaults[container]?.let { fault ->
                if (fault.matches(key)) {
                    val n = fault.seen.incrementAndGet()
                    if (n == fault.nth || (fault.sticky && n > fault.nth)) {
                        fault.injected.incrementAndGet()
                        throw HttpResponseException(
                            "injected fault on PUT #$n of $key", null, HttpResponse.builder().statusCode(500).message("injected").build(),
                        )
                    }
                }
            }
        }
        if (method.name == "copyBlob" && container in failingCopies) {
            throw HttpResponseException("injected fault on COPY", null, HttpResponse.builder().statusCode(501).message("injected").build())
        }
        if (method.name == "removeBlob" && container in failingDeletes) {
            throw HttpResponseException("injected fault on DELETE", null, HttpResponse.builder().statusCode(500).message("injected").build())
        }
        // S3Proxy 2.9.0 checks If-None-Match / If-Match by asking the backend for the object's metadata while it
        // handles the PUT; answering "no such object" there makes If-None-Match: * always pass.
        if (method.name == "blobMetadata" && container in ignoringConditions && calledFromPutHandler()) return@newProxyInstance null
        try {
            method.invoke(delegate, *(args ?: emptyArray()))
        } catch (e: InvocationTargetException) {
            throw e.cause!!
        }
    } as BlobStore

    private fun calledFromPutHandler(): Boolean =
        StackWalker.getInstance().walk { frames -> frames.anyMatch { it.methodName == "handlePutBlob" } }
}

package dev.ckpt.storage

import dev.ckpt.InternalCkptApi
import dev.ckpt.S3SetupException
import software.amazon.awssdk.core.exception.SdkClientException
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient
import software.amazon.awssdk.services.s3.S3Client
import java.util.concurrent.ConcurrentHashMap

/**
 * The entry to S3 runs: `s3://` locations go through here, from [S3StoreProvider] (which `ckpt-dsl` finds through
 * `ServiceLoader`) or from tests.
 *
 * ```kotlin
 * val store = S3Support.store("s3://ckpt-demo/runs/digits")   // region, credentials, endpoint: the SDK's chain
 * ```
 */
internal object S3Support {
    /**
     * A store for the run at [location] (`s3://bucket/prefix`), with the S3 client configured from the SDK's
     * standard chain plus `CKPT_S3_PATH_STYLE`.
     *
     * @throws IllegalArgumentException when [location] is not a valid S3 location
     * @throws S3SetupException when the AWS SDK finds no region, or a `CKPT_S3_*` setting has a bad value
     */
    fun store(location: String): RunStore {
        val parsed = S3Location.parse(location)
        return try {
            S3Stores.open(parsed)
        } catch (e: IllegalArgumentException) {
            // Only the CKPT_S3_* settings are parsed past this point: the location itself was checked above.
            throw S3SetupException(parsed.toString(), e.message.orEmpty(), e)
        }
    }
}

/** What `ckpt-dsl` loads through `ServiceLoader` (`META-INF/services/dev.ckpt.storage.RunStoreProvider`) for `s3://` runs. */
@InternalCkptApi
public class S3StoreProvider : RunStoreProvider {
    override val prefix: String get() = S3Location.SCHEME

    override fun canonical(location: String): String = S3Location.parse(location).toString()

    override fun open(location: String): RunStore = S3Support.store(location)

    override fun runs(root: String): dev.ckpt.RunList = S3RunScan.list(S3Support.store(root) as S3RunStore)
}

/** Builds stores with clients from the SDK's standard configuration chain, over the JDK's URLConnection. */
internal object S3Stores {
    private val clients = ConcurrentHashMap<String, S3Client>()

    fun open(location: S3Location): S3RunStore = S3RunStore(location, S3Objects(client(location), location.bucket))

    /**
     * One client per configuration (the settings the SDK reads when a client is built), shared by every run: a
     * client is costly to build and holds no per-run state.
     */
    private fun client(location: S3Location): S3Client {
        val pathStyle = S3Settings.pathStyle()
        val key = (listOf(pathStyle.toString()) + CHAIN_SETTINGS.map { System.getProperty(it.first) + "|" + System.getenv(it.second) }).joinToString(";")
        return clients.computeIfAbsent(key) {
            try {
                S3Client.builder().forcePathStyle(pathStyle).httpClient(UrlConnectionHttpClient.create()).build()
            } catch (e: SdkClientException) {
                throw S3SetupException(
                    location.toString(),
                    "cannot open run $location: the AWS SDK could not configure an S3 client (${e.message}); set AWS_REGION " +
                        "(or -Daws.region, or a region in ~/.aws/config), and for an S3-compatible server AWS_ENDPOINT_URL " +
                        "and CKPT_S3_PATH_STYLE=true",
                    e,
                )
            }
        }
    }

    /** System properties and environment variables the SDK reads when it builds a client. */
    private val CHAIN_SETTINGS = listOf(
        "aws.endpointUrl" to "AWS_ENDPOINT_URL", "aws.endpointUrlS3" to "AWS_ENDPOINT_URL_S3", "aws.region" to "AWS_REGION",
        "aws.profile" to "AWS_PROFILE", "aws.requestChecksumCalculation" to "AWS_REQUEST_CHECKSUM_CALCULATION",
        "aws.responseChecksumValidation" to "AWS_RESPONSE_CHECKSUM_VALIDATION", "aws.maxAttempts" to "AWS_MAX_ATTEMPTS",
        "aws.accessKeyId" to "AWS_ACCESS_KEY_ID",
    )
}

package dev.ckpt.storage

import dev.ckpt.CorruptRunException
import dev.ckpt.S3SetupException
import software.amazon.awssdk.core.exception.SdkClientException
import software.amazon.awssdk.core.exception.SdkException
import software.amazon.awssdk.core.sync.RequestBody
import software.amazon.awssdk.services.s3.S3Client
import software.amazon.awssdk.services.s3.model.NoSuchBucketException
import software.amazon.awssdk.services.s3.model.NoSuchKeyException
import software.amazon.awssdk.services.s3.model.S3Exception
import java.io.IOException
import java.security.MessageDigest
import java.util.Base64
import java.util.HexFormat

/**
 * The few S3 operations a run needs, on one bucket, with every SDK failure turned into an [IOException] that
 * names the object (`s3://bucket/key`) and what S3 said. Keys are built by [S3Location] only.
 *
 * A conditional PUT reports a refused precondition as [PreconditionFailed]; an I/O failure on a conditional PUT
 * is [OutcomeUnknown], because some servers (S3Proxy 2.9.0) answer 412 before they read the body, which the
 * client may see as a broken connection: the caller reads the object back to decide.
 *
 * It deliberately does not retry (the SDK's retry policy does) and does not list more than the caller asks for.
 */
internal class S3Objects(private val client: S3Client, val bucket: String) {
    /** What a PUT requires of the object already at its key. */
    sealed class Condition {
        object None : Condition()

        /** `If-None-Match: *`: only create. */
        object Absent : Condition()

        /** `If-Match: etag`: only replace that version. */
        class Matches(val etag: String) : Condition()
    }

    /** An object's bytes and ETag (null only from servers that give none, such as S3Proxy for files placed by hand). */
    class Fetched(val bytes: ByteArray, val etag: String?)

    class PreconditionFailed(what: String) : IOException(what)

    class OutcomeUnknown(what: String, cause: Throwable) : IOException(what, cause)

    fun describe(key: String): String = "s3://$bucket/$key"

    /** The same client and bucket: what facts about the server (conditional writes) are cached by. */
    val identity: Any get() = client to bucket

    /** The object's bytes and ETag, or null when there is none; refuses objects larger than [limit]. */
    fun get(key: String, limit: Int = Int.MAX_VALUE - 8): Fetched? = call("GET", key) {
        try {
            client.getObject({ it.bucket(bucket).key(key) }) { response, stream ->
                val length = response.contentLength() ?: -1L
                if (length > limit) {
                    throw CorruptRunException(describe(key), "is $length bytes, more than the $limit this kind of file may have")
                }
                val bytes = stream.readNBytes(limit + 1)
                if (bytes.size > limit) {
                    throw CorruptRunException(describe(key), "is more than the $limit bytes this kind of file may have")
                }
                Fetched(bytes, response.eTag())
            }
        } catch (e: NoSuchKeyException) {
            null
        }
    }

    /** (size, SHA-256 hex) of the object, streamed, or null when there is none. */
    fun hash(key: String): Pair<Long, String>? = call("GET", key) {
        try {
            client.getObject({ it.bucket(bucket).key(key) }) { _, stream ->
                val digest = MessageDigest.getInstance("SHA-256")
                val buffer = ByteArray(64 * 1024)
                var size = 0L
                while (true) {
                    val n = stream.read(buffer)
                    if (n < 0) break
                    digest.update(buffer, 0, n)
                    size += n
                }
                size to HexFormat.of().formatHex(digest.digest())
            }
        } catch (e: NoSuchKeyException) {
            null
        }
    }

    /** The object's ETag, or null when there is none. */
    fun etag(key: String): String? = call("HEAD", key) {
        try {
            client.headObject { it.bucket(bucket).key(key) }.eTag()
        } catch (e: NoSuchKeyException) {
            null
        } catch (e: S3Exception) {
            if (e.statusCode() == 404) null else throw e
        }
    }

    /** Writes [bytes] (with their Content-MD5, so S3 refuses a body damaged on the way); returns the new ETag. */
    fun put(key: String, bytes: ByteArray, condition: Condition = Condition.None): String? {
        val md5 = MessageDigest.getInstance("MD5").digest(bytes)
        try {
            return client.putObject({ request ->
                request.bucket(bucket).key(key).contentMD5(Base64.getEncoder().encodeToString(md5)).contentLength(bytes.size.toLong())
                when (condition) {
                    Condition.None -> Unit
                    Condition.Absent -> request.ifNoneMatch("*")
                    is Condition.Matches -> request.ifMatch(condition.etag)
                }
            }, RequestBody.fromBytes(bytes)).eTag()
        } catch (e: S3Exception) {
            // 412: the precondition failed; 409: S3 was settling a concurrent conditional write to the same key.
            if (condition != Condition.None && (e.statusCode() == 412 || e.statusCode() == 409)) {
                throw PreconditionFailed("${describe(key)} changed: ${e.awsErrorDetails()?.errorCode() ?: e.statusCode()}")
            }
            throw failure("PUT", key, e)
        } catch (e: SdkClientException) {
            setupProblem("PUT", key, e)?.let { throw it }
            // A server may refuse a PUT before reading its body (S3Proxy does for a missing bucket), and the client then
            // sees a broken connection instead of the answer: a missing bucket is worth asking about and naming.
            if (bucketIsMissing()) throw missingBucket("PUT", key, e)
            if (condition != Condition.None) throw OutcomeUnknown("PUT ${describe(key)} failed before S3 answered: ${e.message}", e)
            throw failure("PUT", key, e)
        } catch (e: SdkException) {
            throw failure("PUT", key, e)
        }
    }

    /** An object's size and ETag, from a HEAD. */
    class Stat(val size: Long, val etag: String?)

    /** The size and ETag of the object at [key], or null when there is none. */
    fun stat(key: String): Stat? = call("HEAD", key) {
        try {
            client.headObject { it.bucket(bucket).key(key) }.let { Stat(it.contentLength() ?: -1L, it.eTag()) }
        } catch (e: NoSuchKeyException) {
            null
        } catch (e: S3Exception) {
            if (e.statusCode() == 404) null else throw e
        }
    }

    /** The copy's source was not there, or no longer had the ETag it was copied on. */
    class SourceGone(what: String) : IOException(what)

    /**
     * Copies the object at [from] to [to] inside the bucket, server-side (CopyObject: the bytes do not travel through
     * this client); returns the new object's ETag. [fromEtag], when given, makes the copy happen only while the
     * source still has that ETag; [absent] sends `If-None-Match: *` for the target, as [put] does for
     * [Condition.Absent] (S3 honours it on CopyObject; S3Proxy 2.9.0 ignores it there).
     *
     * @throws SourceGone when the source is missing (404) or changed: the caller writes the bytes instead
     * @throws PreconditionFailed when [absent] and the target exists, or (on servers that do not say which) the
     *   source's ETag changed: the caller looks at both to decide
     * @throws OutcomeUnknown when the connection broke before S3 answered
     */
    fun copy(from: String, to: String, fromEtag: String?, absent: Boolean): String? {
        try {
            return client.copyObject { request ->
                request.sourceBucket(bucket).sourceKey(from).destinationBucket(bucket).destinationKey(to)
                if (fromEtag != null) request.copySourceIfMatch(fromEtag)
                if (absent) request.ifNoneMatch("*")
            }.copyObjectResult()?.eTag()
        } catch (e: NoSuchKeyException) {
            throw SourceGone("${describe(from)} is gone: ${e.awsErrorDetails()?.errorCode() ?: e.statusCode()}")
        } catch (e: S3Exception) {
            if (e.statusCode() == 404) throw SourceGone("${describe(from)} is gone: ${e.awsErrorDetails()?.errorCode() ?: e.statusCode()}")
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                throw PreconditionFailed("copying ${describe(from)} to ${describe(to)}: ${e.awsErrorDetails()?.errorCode() ?: e.statusCode()}")
            }
            throw failure("COPY", to, e)
        } catch (e: SdkClientException) {
            setupProblem("COPY", to, e)?.let { throw it }
            throw OutcomeUnknown("COPY ${describe(from)} to ${describe(to)} failed before S3 answered: ${e.message}", e)
        } catch (e: SdkException) {
            throw failure("COPY", to, e)
        }
    }

    fun delete(key: String) {
        call("DELETE", key) { client.deleteObject { it.bucket(bucket).key(key) } }
    }

    /**
     * Every key that starts with [prefix], in S3's (lexicographic) order. Keys ending in `/` are left out: they are
     * "folder" placeholders (consoles create them; S3Proxy's filesystem backend lists its directories so), not files.
     */
    fun list(prefix: String): List<String> = call("LIST", "$prefix*") {
        client.listObjectsV2Paginator { it.bucket(bucket).prefix(prefix) }.contents().map { it.key() }.filter { !it.endsWith("/") }
    }

    /** [list], with each key's last-modified time (for listing runs: a commit marker's age). */
    fun listTimed(prefix: String): List<Pair<String, java.time.Instant>> = call("LIST", "$prefix*") {
        client.listObjectsV2Paginator { it.bucket(bucket).prefix(prefix) }.contents().filter { !it.key().endsWith("/") }.map { it.key() to it.lastModified() }
    }

    /** Whether any key (other than a folder placeholder) starts with [prefix]. */
    fun any(prefix: String): Boolean = call("LIST", "$prefix*") {
        client.listObjectsV2Paginator { it.bucket(bucket).prefix(prefix).maxKeys(100) }.contents().any { !it.key().endsWith("/") }
    }

    private fun <T> call(operation: String, key: String, body: () -> T): T = try {
        body()
    } catch (e: SdkException) {
        // A refusal of ckpt's own (an oversized file) may come back wrapped by the SDK.
        generateSequence<Throwable>(e) { it.cause }.filterIsInstance<CorruptRunException>().firstOrNull()?.let { throw it }
        throw failure(operation, key, e)
    } catch (e: java.io.UncheckedIOException) {
        throw IOException("$operation ${describe(key)} failed: ${e.cause?.message}", e.cause)
    }

    private fun bucketIsMissing(): Boolean = try {
        client.headBucket { it.bucket(bucket) }
        false
    } catch (e: NoSuchBucketException) {
        true
    } catch (e: S3Exception) {
        e.statusCode() == 404
    } catch (e: SdkException) {
        false
    }

    private fun missingBucket(operation: String, key: String, cause: Exception) = IOException(
        "$operation ${describe(key)} failed: the bucket \"$bucket\" does not exist (or is not visible with these credentials); " +
            "create it first, ckpt does not create buckets",
        cause,
    )

    private fun failure(operation: String, key: String, e: SdkException): IOException = when {
        e is NoSuchBucketException -> missingBucket(operation, key, e)
        else -> setupProblem(operation, key, e) ?: IOException("$operation ${describe(key)} failed: ${answer(e)}", e)
    }

    private fun answer(e: SdkException): String = when (e) {
        is S3Exception -> "S3 answered ${e.statusCode()} ${e.awsErrorDetails()?.errorCode() ?: ""}: ${e.awsErrorDetails()?.errorMessage() ?: e.message}"
        else -> e.message.orEmpty()
    }

    /**
     * The failure as an [S3SetupException] naming the settings that fix it, when a setting caused it: the server
     * refused the SDK's default checksums, or the credentials; or the SDK found none. Null for any other failure.
     */
    private fun setupProblem(operation: String, key: String, e: SdkException): S3SetupException? {
        val code = (e as? S3Exception)?.awsErrorDetails()?.errorCode()
        val said = "$operation ${describe(key)} failed: "
        val message = when {
            code == "XAmzContentSHA256Mismatch" || (code == "InvalidRequest" && CHECKSUM_WORDS.containsMatchIn(answer(e))) ->
                said + answer(e) + "; " + CHECKSUM_HINT
            code == "NotImplemented" && HEADER_WORD.containsMatchIn(answer(e)) -> said + answer(e) + "; " + NOT_IMPLEMENTED_HINT
            code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" -> said + answer(e) + "; " + WRONG_CREDENTIALS_HINT
            e is SdkClientException && e.message.orEmpty().startsWith("Unable to load credentials") -> said + NO_CREDENTIALS_HINT
            else -> return null
        }
        return S3SetupException(describe(key), message, e)
    }

    companion object {
        private val CHECKSUM_WORDS = Regex("checksum|trailer", RegexOption.IGNORE_CASE)

        private val HEADER_WORD = Regex("header", RegexOption.IGNORE_CASE)

        /** The two settings that make the SDK send checksums only where S3 requires them (see docs/storage.md). */
        private const val CHECKSUM_FIX = "set AWS_REQUEST_CHECKSUM_CALCULATION=when_required and " +
            "AWS_RESPONSE_CHECKSUM_VALIDATION=when_required (or -Daws.requestChecksumCalculation=when_required and " +
            "-Daws.responseChecksumValidation=when_required): ckpt sends Content-MD5 and checks SHA-256 itself"

        private const val CHECKSUM_HINT = "the server refuses the checksums the AWS SDK sends by default since 2.30; $CHECKSUM_FIX"

        // S3Proxy answers so to the x-amz-checksum-mode header the SDK adds to GETs by default; ckpt itself sends no
        // header a server may lack but If-None-Match and If-Match, which S3 has had since 2024.
        private const val NOT_IMPLEMENTED_HINT = "with S3-compatible servers, the usual cause is the checksum headers the " +
            "AWS SDK sends by default since 2.30; $CHECKSUM_FIX"

        private const val WRONG_CREDENTIALS_HINT = "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE), " +
            "and AWS_REGION: requests are signed for the region"

        private const val NO_CREDENTIALS_HINT = "the AWS SDK found no credentials; set AWS_ACCESS_KEY_ID and " +
            "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE, or -Daws.accessKeyId and -Daws.secretAccessKey)"

        /** Whether [etag] is the ETag S3 gives a single-part upload of [bytes] (their MD5): how ckpt recognises its own write. */
        fun etagOf(bytes: ByteArray, etag: String?): Boolean =
            etag != null && etag.trim('"').equals(HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(bytes)), ignoreCase = true)
    }
}

package dev.ckpt.s3

import software.amazon.awssdk.core.interceptor.Context
import software.amazon.awssdk.core.interceptor.ExecutionAttributes
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor
import java.util.concurrent.CopyOnWriteArrayList

/**
 * Every S3 request any client in a test JVM sends (ckpt's own clients included: the SDK loads this interceptor for
 * all clients from `software/amazon/awssdk/global/handlers/execution.interceptors` on the test class path) is
 * recorded here, and one to a host other than the loopback address is refused before a byte leaves the JVM.
 */
class LoopbackOnly : ExecutionInterceptor {
    /** One request; [headers] are its header names, lower case (a CopyObject is a PUT with `x-amz-copy-source`). */
    data class Sent(val method: String, val host: String, val port: Int, val path: String, val headers: Set<String> = emptySet())

    override fun beforeTransmission(context: Context.BeforeTransmission, executionAttributes: ExecutionAttributes) {
        val request = context.httpRequest()
        val what = Sent(request.method().name, request.host(), request.port(), request.encodedPath(), request.headers().keys.mapTo(HashSet()) { it.lowercase() })
        if (request.host() !in LOOPBACK) {
            refused += what
            throw IllegalStateException("refused an S3 request to ${request.host()}: tests talk to 127.0.0.1 only (${request.getUri()})")
        }
        sent += what
    }

    companion object {
        val LOOPBACK: Set<String> = setOf("127.0.0.1", "localhost", "[::1]")

        /** What this JVM's S3 clients sent, in order. */
        val sent: MutableList<Sent> = CopyOnWriteArrayList()

        /** Requests refused before they were sent. */
        val refused: MutableList<Sent> = CopyOnWriteArrayList()
    }
}

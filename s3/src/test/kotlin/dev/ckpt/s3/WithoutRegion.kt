package dev.ckpt.s3

import dev.ckpt.storage.S3Support

/**
 * The child JVM of [S3MessagesSpec]'s region case: started without the AWS variables that name a region or a
 * configuration, it prints which of them it still sees, then the error of opening an `s3://` run.
 */
object WithoutRegion {
    /** The variables the parent removes from the child's environment. */
    val VARIABLES: Set<String> = setOf(
        "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE",
        "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
    )

    @JvmStatic
    fun main(args: Array<String>) {
        val seen = VARIABLES.filter { System.getenv(it) != null }
        println("AWS variables: " + seen.ifEmpty { listOf("none") }.joinToString(", "))
        try {
            S3Support.store("s3://ckpt-demo/runs/x")
            println("OPENED")
        } catch (e: Exception) {
            println("ERROR ${e.javaClass.name}: ${e.message}")
        }
    }
}

package dev.ckpt.storage

/**
 * A run on S3, `s3://bucket/prefix`: the bucket and the run's key prefix (empty for a run at the bucket's root).
 * Parsing refuses what could name objects outside the run: `.`/`..`/empty segments, backslashes, and buckets S3
 * would not accept. Every key ckpt builds is [prefix] + `/` + a path that [RelativePaths] validated, so no key of
 * a run can leave its prefix, and none can name another bucket.
 *
 * ```kotlin
 * val run = S3Location.parse("s3://ckpt-demo/runs/digits")
 * run.key("e01/checkpoint.json")   // "runs/digits/e01/checkpoint.json"
 * ```
 *
 * It does no I/O and needs no S3 client: a callback checks its location with it before any request.
 */
internal class S3Location private constructor(val bucket: String, val prefix: String) {
    /** The key of [relative] (a validated run-relative path). */
    fun key(relative: String): String = if (prefix.isEmpty()) relative else "$prefix/$relative"

    /** The key prefix below which everything of the run is: `prefix/`, or empty at the bucket root. */
    val keyPrefix: String get() = if (prefix.isEmpty()) "" else "$prefix/"

    /** The run-relative path of [key], a key under [keyPrefix]. */
    fun relative(key: String): String = key.removePrefix(keyPrefix)

    fun describe(relative: String): String = "$this/$relative"

    override fun toString(): String = if (prefix.isEmpty()) "s3://$bucket" else "s3://$bucket/$prefix"

    override fun equals(other: Any?): Boolean = other is S3Location && other.bucket == bucket && other.prefix == prefix

    override fun hashCode(): Int = bucket.hashCode() * 31 + prefix.hashCode()

    companion object {
        const val SCHEME = "s3:/"

        /** AWS's rules for bucket names (3-63 characters, lowercase letters, digits, '.', '-'). */
        private val BUCKET = Regex("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")

        /** Whether [location] (a run directory or a filepath template's run part) is meant for S3. */
        fun isS3(location: String): Boolean = location.startsWith(SCHEME)

        /**
         * Parses `s3://bucket` or `s3://bucket/prefix` (a trailing `/` is ignored).
         *
         * @throws IllegalArgumentException naming [location] and what would be valid
         */
        fun parse(location: String): S3Location {
            // "s3:/" is what a filepath template's run directory is when its bucket holds a field: "s3://{x}/e".
            require(location.startsWith("s3://") || location == SCHEME) { "\"$location\" is not an S3 location; expected s3://bucket/prefix" }
            val rest = location.removePrefix(SCHEME).removePrefix("/").removeSuffix("/")
            val bucket = rest.substringBefore('/')
            val prefix = if ('/' in rest) rest.substringAfter('/') else ""
            require(bucket.isNotEmpty()) {
                "S3 location \"$location\" names no bucket; expected s3://bucket/prefix, with the bucket written out " +
                    "(template fields belong below the run prefix)"
            }
            require(BUCKET.matches(bucket) && ".." !in bucket) {
                "S3 location \"$location\" has the bucket name \"$bucket\", which S3 does not accept; bucket names are " +
                    "3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit"
            }
            if (prefix.isNotEmpty()) {
                RelativePaths.problem(prefix)?.let { problem ->
                    throw IllegalArgumentException("S3 location \"$location\": the run prefix \"$prefix\" $problem")
                }
            }
            return S3Location(bucket, prefix)
        }
    }
}

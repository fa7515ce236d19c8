package dev.ckpt.storage

import dev.ckpt.InternalCkptApi
import java.io.IOException

/**
 * A kind of storage that lives in a module of its own and is found through [java.util.ServiceLoader] (a line in
 * `META-INF/services/dev.ckpt.storage.RunStoreProvider`): `ckpt-s3` provides `s3://` runs this way, so that only
 * users of S3 get the AWS SDK. [RunStores] chooses the store for every location.
 *
 * It deliberately does not cover local directories: those are [FileRunStore], always present.
 */
@InternalCkptApi
public interface RunStoreProvider {
    /** The location prefix this provider serves, such as `s3://`. */
    public val prefix: String

    /**
     * The run at [location] in canonical form (the spelling messages and `runLocation` show), without any I/O.
     *
     * @throws IllegalArgumentException when [location] is not a valid location of this kind; the message says why
     */
    public fun canonical(location: String): String

    /**
     * A store for the run at [location].
     *
     * @throws IllegalArgumentException when [location] is not a valid location of this kind
     * @throws IOException when the storage cannot be set up (for S3, a [dev.ckpt.S3SetupException])
     */
    @Throws(IOException::class)
    public fun open(location: String): RunStore

    /**
     * Every run under [root] (a prefix of this kind), from their manifests alone: what `Checkpoints.runs` answers.
     *
     * @throws IllegalArgumentException when [root] is not a valid location of this kind
     * @throws IOException when the listing fails (for S3, a [dev.ckpt.S3SetupException] when it is not set up)
     */
    @Throws(IOException::class)
    public fun runs(root: String): dev.ckpt.RunList
}

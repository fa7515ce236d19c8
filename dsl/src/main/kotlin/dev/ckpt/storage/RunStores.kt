package dev.ckpt.storage

import dev.ckpt.InternalCkptApi
import dev.ckpt.S3SetupException
import java.nio.file.Path
import java.util.Properties
import java.util.ServiceLoader

/**
 * The one place that chooses the storage of a run location: an `s3://bucket/prefix` location goes to the
 * [RunStoreProvider] that `ckpt-s3` registers; anything else is a directory on a file system ([FileRunStore]),
 * resolved against a base directory.
 *
 * ```kotlin
 * val store = RunStores.open("s3://ckpt-demo/runs/digits", Path.of(""))   // needs dev.ckpt:ckpt-s3
 * ```
 */
@OptIn(InternalCkptApi::class)
internal object RunStores {
    /** What an `s3://` location starts with; a filepath template whose bucket holds a field has the run `s3:/`. */
    private const val S3_PREFIX = "s3:/"

    /** The Maven coordinates of the module that serves `s3://` runs, at this ckpt's version. */
    val S3_ARTIFACT: String = "dev.ckpt:ckpt-s3:" + version()

    private val providers: List<RunStoreProvider> by lazy {
        ServiceLoader.load(RunStoreProvider::class.java, RunStores::class.java.classLoader).toList()
    }

    /**
     * The store of the run at [location]; a directory is resolved against [base].
     *
     * @throws S3SetupException when [location] is on S3 and `ckpt-s3` is not on the class path
     */
    fun open(location: String, base: Path = Path.of("")): RunStore {
        val provider = providerFor(location) ?: return FileRunStore(base.resolve(location))
        return provider.open(location)
    }

    /** Every run under [root]: a provider's prefix (`s3://`) goes to it, anything else is a local directory tree. */
    @Throws(java.io.IOException::class)
    fun runs(root: String): dev.ckpt.RunList = providerFor(root)?.runs(root) ?: RunScan.list(Path.of(root))

    /** Where [open] would put the run at [location], for messages and `runLocation`; does no I/O. */
    fun location(location: String, base: Path = Path.of("")): String {
        val provider = providerFor(location) ?: return FileRunStore(base.resolve(location)).location
        return provider.canonical(location)
    }

    private fun providerFor(location: String): RunStoreProvider? {
        if (!location.startsWith(S3_PREFIX)) return null
        return providers.firstOrNull { it.prefix == S3_PREFIX } ?: throw S3SetupException(
            location,
            "run $location is on S3, which needs the module $S3_ARTIFACT on the class path (it brings the AWS SDK): " +
                "add it to your dependencies, next to ckpt-dsl (docs/s3.md)",
        )
    }

    private fun version(): String {
        val properties = Properties()
        RunStores::class.java.getResourceAsStream("/dev/ckpt/ckpt-version.properties")?.use { properties.load(it) }
        return properties.getProperty("version") ?: error("dev/ckpt/ckpt-version.properties is missing from ckpt-dsl's jar")
    }
}

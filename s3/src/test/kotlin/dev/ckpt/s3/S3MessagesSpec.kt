package dev.ckpt.s3

import dev.ckpt.Checkpoints
import dev.ckpt.S3SetupException
import dev.ckpt.checkpoint
import dev.ckpt.durability.ChildJvm
import dev.ckpt.storage.FIXED_CLOCK
import dev.ckpt.storage.RunStoreProvider
import dev.ckpt.storage.RunWriter
import dev.ckpt.storage.S3Location
import dev.ckpt.storage.S3Objects
import dev.ckpt.storage.S3RunStore
import dev.ckpt.storage.S3Settings
import dev.ckpt.storage.S3StoreProvider
import dev.ckpt.storage.S3Support
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.datatest.withData
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.collections.shouldContainExactly
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldMatch
import io.kotest.matchers.types.shouldBeInstanceOf
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation
import java.util.ServiceLoader
import java.io.IOException

private const val NO_BUCKET = "names no bucket; expected s3://bucket/prefix, with the bucket written out (template fields belong below the run prefix)"

/** Pins what ckpt says about S3 locations, settings and set-up, word for word. */
class S3MessagesSpec : FunSpec({
    context("S3 locations that are refused") {
        withData(
            nameFn = { it.first },
            "s3://" to "S3 location \"s3://\" $NO_BUCKET",
            "s3:///runs/x" to "S3 location \"s3:///runs/x\" $NO_BUCKET",
            "s3://Ckpt_Demo/runs" to "S3 location \"s3://Ckpt_Demo/runs\" has the bucket name \"Ckpt_Demo\", which S3 does not " +
                "accept; bucket names are 3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit",
            "s3://ckpt-demo/../other" to "S3 location \"s3://ckpt-demo/../other\": the run prefix \"../other\" must not contain " +
                "\"..\": paths in a run stay inside the run directory",
            "s3://ckpt-demo/runs/./x" to "S3 location \"s3://ckpt-demo/runs/./x\": the run prefix \"runs/./x\" must not contain \".\" segments",
            "s3://ckpt-demo//runs" to "S3 location \"s3://ckpt-demo//runs\": the run prefix \"/runs\" must be relative to the run " +
                "directory, not absolute",
            "s3:/ckpt-demo/runs" to "\"s3:/ckpt-demo/runs\" is not an S3 location; expected s3://bucket/prefix",
        ) { (location, message) ->
            shouldThrow<IllegalArgumentException> { S3Location.parse(location) }.message shouldBe message
        }
    }

    test("a filepath whose bucket is a template field is refused, naming the filepath") {
        shouldThrow<IllegalArgumentException> { checkpoint("s3://runs-{epoch}/e{epoch}").runLocation }.message shouldBe
            "filepath \"s3://runs-{epoch}/e{epoch}\": S3 location \"s3:/\" $NO_BUCKET"
    }

    test("a run at a bucket's root is a valid location") {
        checkpoint("s3://ckpt-demo/e{epoch:02d}").runLocation shouldBe "s3://ckpt-demo"
        S3Location.parse("s3://ckpt-demo/").key("e01/checkpoint.json") shouldBe "e01/checkpoint.json"
    }

    context("settings with values that are neither") {
        test("CKPT_S3_PATH_STYLE must be true or false") {
            withProperty("ckpt.s3.pathStyle", "yes") {
                shouldThrow<IllegalArgumentException> { S3Settings.pathStyle() }.message shouldBe
                    "CKPT_S3_PATH_STYLE (or -Dckpt.s3.pathStyle) must be true or false, got \"yes\""
            }
        }
        test("CKPT_S3_LEASE_SECONDS must be a whole number of seconds >= 1") {
            withProperty("ckpt.s3.leaseSeconds", "0.5") {
                shouldThrow<IllegalArgumentException> { S3Settings.leaseDuration() }.message shouldBe
                    "CKPT_S3_LEASE_SECONDS (or -Dckpt.s3.leaseSeconds) must be a whole number of seconds >= 1, got \"0.5\""
            }
        }
    }

    test("a bucket that does not exist is named, with what to do") {
        val error = shouldThrow<IOException> { RunWriter.open(S3TestServer.store("no-such-bucket-here"), "fp", FIXED_CLOCK, "t") }
        error.message!! shouldMatch Regex(
            "PUT s3://no-such-bucket-here/runs/x/\\.conditional-write-probe\\.ckpt-tmp-[0-9a-f]{16} failed: the bucket " +
                "\"no-such-bucket-here\" does not exist \\(or is not visible with these credentials\\); create it first, ckpt does not create buckets",
        )
    }

    test("a server that refuses the SDK's default checksums: the error names the two settings that fix it") {
        val bucket = S3TestServer.newBucket()
        // S3Proxy 2.9.0 answers the SDK's default (since 2.30) aws-chunked upload with CRC32 trailer so.
        val defaults = S3TestServer.client(checksums = RequestChecksumCalculation.WHEN_SUPPORTED)
        val error = shouldThrow<S3SetupException> { S3Objects(defaults, bucket).put("runs/x/manifest.json", "{}".toByteArray()) }
        error.location shouldBe "s3://$bucket/runs/x/manifest.json"
        error.message shouldBe "PUT s3://$bucket/runs/x/manifest.json failed: S3 answered 400 XAmzContentSHA256Mismatch: The " +
            "provided 'x-amz-content-sha256' header does not match what was computed.; the server refuses the checksums the " +
            "AWS SDK sends by default since 2.30; set AWS_REQUEST_CHECKSUM_CALCULATION=when_required and " +
            "AWS_RESPONSE_CHECKSUM_VALIDATION=when_required (or -Daws.requestChecksumCalculation=when_required and " +
            "-Daws.responseChecksumValidation=when_required): ckpt sends Content-MD5 and checks SHA-256 itself"
    }

    test("a setting with a bad value, met when an s3:// run is opened, is an S3 set-up error naming it") {
        withProperty("ckpt.s3.pathStyle", "yes") {
            shouldThrow<S3SetupException> { S3Support.store("s3://ckpt-demo/runs/x") }.message shouldBe
                "CKPT_S3_PATH_STYLE (or -Dckpt.s3.pathStyle) must be true or false, got \"yes\""
        }
    }

    test("without a region, opening an s3:// run says which settings to make (in a child JVM without the AWS variables)") {
        // The test JVM may run where AWS_REGION is set (CI on AWS); environment variables cannot be cleared in-process.
        val log = tempdir().toPath().resolve("without-region.log")
        val options = listOf("-Daws.disableEc2Metadata=true", "-Daws.configFile=/nonexistent/config",
            "-Daws.sharedCredentialsFile=/nonexistent/credentials")
        val child = ChildJvm.start(WithoutRegion::class.java.name, emptyList(), log, options, withoutEnvironment = WithoutRegion.VARIABLES)
        val lines = child.rest()
        child.waitFor() shouldBe 0
        lines.first() shouldBe "AWS variables: none"
        val message = lines.drop(1).single()
        message.substringBefore(" (") shouldBe
            "ERROR dev.ckpt.S3SetupException: cannot open run s3://ckpt-demo/runs/x: the AWS SDK could not configure an S3 client"
        message.substringAfter("); ") shouldBe "set AWS_REGION (or -Daws.region, or a region in ~/.aws/config), and for an " +
            "S3-compatible server AWS_ENDPOINT_URL and CKPT_S3_PATH_STYLE=true"
    }

    test("with ckpt-s3 on the class path, ckpt-dsl finds its store for s3:// locations through ServiceLoader") {
        val providers = ServiceLoader.load(RunStoreProvider::class.java).map { it.javaClass }
        providers shouldContainExactly listOf(S3StoreProvider::class.java)
        Checkpoints.storeAt("s3://ckpt-demo/runs/x").shouldBeInstanceOf<S3RunStore>()
    }
})

private fun <T> withProperty(name: String, value: String, block: () -> T): T = withProperties(listOf(name to value), block)

/** Runs [block] with system properties set (null: cleared), then puts them back. */
private fun <T> withProperties(values: List<Pair<String, String?>>, block: () -> T): T {
    val saved = values.map { (name, _) -> name to System.getProperty(name) }
    values.forEach { (name, value) -> if (value == null) System.clearProperty(name) else System.setProperty(name, value) }
    try {
        return block()
    } finally {
        saved.forEach { (name, value) -> if (value == null) System.clearProperty(name) else System.setProperty(name, value) }
    }
}

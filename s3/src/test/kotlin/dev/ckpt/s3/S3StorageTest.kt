package dev.ckpt.s3

import dev.ckpt.storage.Protocol
import dev.ckpt.storage.RunStore
import dev.ckpt.storage.Sandbox
import dev.ckpt.storage.StorageContract
import java.nio.file.Files
import java.nio.file.Path

/**
 * A sandbox whose tree is a bucket of the [S3TestServer]: a directory under [base] is a prefix of the bucket, and
 * the run at it is an `s3://` run; files the tests write or change there are objects S3 serves.
 */
class S3Sandbox : Sandbox() {
    val bucket: String = S3TestServer.newBucket("contract")
    override val base: Path = S3TestServer.bucketDirectory(bucket).also { Files.createDirectories(it) }

    fun prefix(root: Path): String = base.relativize(root).joinToString("/")

    override fun store(root: Path): RunStore = S3TestServer.store(bucket, prefix(root))

    override fun describe(root: Path, relative: String): String = "s3://$bucket/${prefix(root)}/$relative"

    override fun close() {
        Faults.clear(bucket)
    }
}

/** The storage contract on S3, through the marker protocol. */
class S3StorageTest : StorageContract(Protocol.MARKER, { S3Sandbox() })

package dev.ckpt.kotlindl

import dev.ckpt.CheckpointKind

import io.kotest.core.spec.style.FunSpec
import io.kotest.engine.spec.tempdir
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import org.jetbrains.kotlinx.dl.api.core.Sequential
import java.nio.file.Files
import java.nio.file.Path

/**
 * Training 4 epochs straight equals training 2, writing a full checkpoint, restoring it into a freshly built model
 * and training 2 more: bitwise, tolerance zero, provided TensorFlow runs the training ops in a fixed order.
 *
 * Why the order matters: KotlinDL 0.4.0 runs each training step as one session run whose targets are the
 * in-place `ApplyAdam` updates, with no control dependency between a layer's update and the backward-pass ops that
 * read that layer's weights. With TensorFlow's default thread pools the interleaving varies from run to run, so
 * even two identical uninterrupted 2-epoch runs end with weights differing by up to ~0.1-0.5 (measured on this
 * model); a single thread (`intra_op_parallelism_threads = 1`, `inter_op_parallelism_threads = 1`) still leaves
 * the caller's thread and the pool racing. With every op inline on the calling thread
 * (`inter_op_parallelism_threads = -1`, see [SingleThreadedSession]) training is reproducible bit for bit, and so
 * is resuming. Nothing else needs care: `fit` does not shuffle, the MLP has no dropout, and every variable the Adam
 * update reads is in the checkpoint: the m and v slots and both beta powers (KotlinDL never advances the beta
 * powers during training; they stay at beta1^2 and beta2^2, and are saved and restored like the slots).
 */
class ResumeEquivalenceSpec : FunSpec({
    val models = mutableListOf<Sequential>()
    afterSpec { models.forEach(Sequential::close) }
    fun Sequential.tracked(): Sequential = also { models += it }
    fun Sequential.train(epochs: Int): Sequential = also { it.fit(Digits.train(), epochs, Digits.BATCH_SIZE) }
    fun freshModel(): Sequential = Digits.newModel().also(Digits::compileDeterministic).tracked()

    val straight by lazy { freshModel().train(epochs = 4) }
    val checkpoint: Path by lazy {
        val dir = Files.createDirectory(tempdir().toPath().resolve("e02"))
        NativeFormatWriter.write(freshModel().train(epochs = 2), dir, CheckpointKind.FULL)
        dir
    }

    test("4 epochs straight equal 2 + restore (ckpt reader, into a freshly built and compiled model) + 2, bitwise") {
        val resumed = freshModel()
        NativeFormatReader.loadWeightsInto(resumed, DirectoryFiles(checkpoint), true)
        resumed.train(epochs = 2)
        variableBits(resumed, includeOptimizer = true) shouldBe variableBits(straight, includeOptimizer = true)
    }

    test("4 epochs straight equal 2 + restore (ckpt loadModel from the configuration) + 2, bitwise") {
        val resumed = NativeFormatReader.loadModel(DirectoryFiles(checkpoint), true, Digits::compileDeterministic).tracked()
        resumed.train(epochs = 2)
        variableBits(resumed, includeOptimizer = true) shouldBe variableBits(straight, includeOptimizer = true)
    }

    test("4 epochs straight equal 2 + restore (KotlinDL's own loaders) + 2, bitwise") {
        val resumed = Sequential.loadDefaultModelConfiguration(checkpoint.toFile()).tracked()
        Digits.compileDeterministic(resumed)
        resumed.loadWeights(checkpoint.toFile(), true)
        resumed.train(epochs = 2)
        variableBits(resumed, includeOptimizer = true) shouldBe variableBits(straight, includeOptimizer = true)
    }

    test("without the optimizer state the resumed weights differ, so the tests above depend on restoring it") {
        val resumed = NativeFormatReader.loadModel(DirectoryFiles(checkpoint), false, Digits::compileDeterministic).tracked()
        resumed.train(epochs = 2)
        variableBits(resumed, includeOptimizer = false) shouldNotBe variableBits(straight, includeOptimizer = false)
    }
})

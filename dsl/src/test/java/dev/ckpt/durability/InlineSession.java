package dev.ckpt.durability;

import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel;
import org.tensorflow.Session;

/**
 * Test-only: replaces a compiled, not yet initialized model's TensorFlow session with one that runs every op
 * inline on the calling thread, in graph order, so that two trainings of the same model on the same data are
 * identical bit for bit.
 *
 * <p>KotlinDL 0.4.0 opens its session with TensorFlow's default thread pools and offers no way to configure it;
 * each training step runs the in-place Adam updates with no ordering against the backward-pass ops that read the
 * same weights, so with thread pools the result varies from run to run. The session field is Kotlin-internal,
 * which compiles to a public JVM field: hence Java.
 */
final class InlineSession {
    // ConfigProto { intra_op_parallelism_threads: 1 (field 2, varint), inter_op_parallelism_threads: -1 (field 5,
    // varint, ten bytes for a negative int) }. A negative inter-op count runs every op inline on the caller's thread.
    private static final byte[] INLINE = {
        0x10, 0x01,
        0x28, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
        (byte) 0xFF, 0x01,
    };

    private InlineSession() {
    }

    static void install(GraphTrainableModel model) {
        if (!model.isModelCompiled() || model.isModelInitialized()) {
            throw new IllegalStateException("install the inline session after compile() and before any weights exist");
        }
        Session old = model.session;
        model.session = new Session(model.kGraph().getTfGraph$api(), INLINE);
        old.close();
    }
}

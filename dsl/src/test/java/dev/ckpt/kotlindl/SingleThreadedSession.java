package dev.ckpt.kotlindl;

import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel;
import org.tensorflow.Session;

/**
 * Test-only: gives a compiled, not yet initialized model a TensorFlow session that runs one op at a time on one
 * thread, so training is reproducible bit for bit.
 *
 * <p>KotlinDL 0.4.0 opens its session with TensorFlow's defaults (thread pools sized to the machine) and offers no
 * way to configure it; the session field is Kotlin-internal, hence Java.
 */
final class SingleThreadedSession {
    // ConfigProto { intra_op_parallelism_threads: 1 (field 2), inter_op_parallelism_threads: -1 (field 5) }.
    // A negative inter-op count makes TensorFlow run every op inline on the calling thread, in a fixed order.
    private static final byte[] ONE_THREAD = {
        0x10, 0x01,
        0x28, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
        (byte) 0xFF, 0x01,
    };

    private SingleThreadedSession() {
    }

    static void install(GraphTrainableModel model) {
        if (!model.isModelCompiled() || model.isModelInitialized()) {
            throw new IllegalStateException("install the session after compile() and before any weights exist");
        }
        Session old = model.session;
        model.session = new Session(model.kGraph().getTfGraph$api(), ONE_THREAD);
        old.close();
    }
}

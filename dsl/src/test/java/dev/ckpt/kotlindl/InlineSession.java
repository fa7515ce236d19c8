package dev.ckpt.kotlindl;

import org.jetbrains.kotlinx.dl.api.core.GraphTrainableModel;
import org.tensorflow.Session;

/**
 * Test-only: gives a compiled, not yet initialized model a TensorFlow session that runs every op inline on the
 * calling thread ({@code inter_op_parallelism_threads = -1}), the one configuration in which KotlinDL 0.4.0's
 * training can repeat itself bit for bit — and then only for the first ~90 steps of a session.
 *
 * <p>Why (measured; see {@link TrainingDeterminism}): KotlinDL runs each training step as one session run whose
 * targets are the in-place Adam updates, with nothing ordering an update after the backward-pass ops that read the
 * same weights, so the numbers depend on the order TensorFlow runs ops in. With thread pools that order races from
 * the first step. Inline, it is fixed at first, but TensorFlow 1.15's executor orders "expensive" ops differently
 * from cheap ones and learns which is which from measured run times (an estimate starting at 1e8 cycles that moves
 * 10% towards each measurement, with a 5000-cycle threshold): no op can turn cheap before about step 94 of a
 * session, and when one does depends on timing. Threads, denormals (the calling thread's MXCSR never has FTZ/DAZ and
 * training produced no denormals), uninitialised memory and data alignment were each ruled out by experiment.
 *
 * <p>The session field is Kotlin-internal, which compiles to a public JVM field: hence Java.
 */
public final class InlineSession {
    // ConfigProto { intra_op_parallelism_threads: 1 (field 2, varint), inter_op_parallelism_threads: -1 (field 5,
    // varint, ten bytes for a negative int) }. A negative inter-op count runs every op inline on the caller's thread.
    private static final byte[] INLINE = {
        0x10, 0x01,
        0x28, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF,
        (byte) 0xFF, 0x01,
    };

    private InlineSession() {
    }

    /** Installs the inline session; call after {@code compile()} and before any weights exist. */
    public static void install(GraphTrainableModel model) {
        if (!model.isModelCompiled() || model.isModelInitialized()) {
            throw new IllegalStateException("install the inline session after compile() and before any weights exist");
        }
        Session old = model.session;
        model.session = new Session(model.kGraph().getTfGraph$api(), INLINE);
        old.close();
    }
}

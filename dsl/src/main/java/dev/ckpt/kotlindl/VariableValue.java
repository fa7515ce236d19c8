package dev.ckpt.kotlindl;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * The current value of one model variable: its TensorFlow name, its shape and its floats in row-major order.
 *
 * <pre>{@code
 * for (VariableValue v : KotlinDlAccess.readVariables(model, true)) {
 *     System.out.println(v.name() + " " + Arrays.toString(v.shape()) + " " + v.size());
 * }
 * }</pre>
 *
 * <p>The floats are exposed as a read-only {@link FloatBuffer} view rather than copied, because a
 * checkpoint writer reads each value exactly once and large models would otherwise pay for a second
 * copy of every weight. It does not know whether the variable is a layer weight or optimizer state.
 */
final class VariableValue {
    private final String name;
    private final long[] shape;
    private final FloatBuffer values;
    private final SnapshotBuffers.Lease lease;

    /**
     * @param name   TensorFlow operation name of the variable, for example {@code dense_1_dense_kernel}
     * @param shape  dimensions; empty for a scalar
     * @param values row-major floats; exactly the product of {@code shape} of them remain in the buffer
     */
    VariableValue(String name, long[] shape, FloatBuffer values) {
        this(name, shape, values, null);
    }

    /**
     * As {@link #VariableValue(String, long[], FloatBuffer)}, over an array of {@code lease}: once the lease is
     * released the array belongs to the next snapshot, and {@link #values()} refuses to read it.
     */
    VariableValue(String name, long[] shape, FloatBuffer values, SnapshotBuffers.Lease lease) {
        this.lease = lease;
        this.name = Objects.requireNonNull(name, "name");
        this.shape = Objects.requireNonNull(shape, "shape").clone();
        long expected = elementCount(this.shape);
        FloatBuffer view = Objects.requireNonNull(values, "values").slice().asReadOnlyBuffer();
        if (view.remaining() != expected) {
            throw new IllegalArgumentException("variable " + name + ": shape " + Arrays.toString(this.shape)
                    + " needs " + expected + " values, got " + view.remaining());
        }
        this.values = view;
    }

    /** Number of elements a tensor of this shape holds (1 for a scalar). */
    static long elementCount(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has an unknown dimension");
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    String name() {
        return name;
    }

    /** A copy of the dimensions. */
    long[] shape() {
        return shape.clone();
    }

    int size() {
        return values.remaining();
    }

    /** Read-only view of the floats, positioned at the first one. */
    FloatBuffer values() {
        if (lease != null && lease.isReleased()) {
            throw new IllegalStateException("variable " + name + ": its snapshot was released, so its floats may already"
                    + " be the next snapshot's; read a snapshot before its writer releases it");
        }
        return values.duplicate();
    }

    @Override
    public String toString() {
        return "VariableValue(" + name + " " + Arrays.toString(shape) + ")";
    }
}

package dev.ckpt.core.policy;

import java.util.List;
import java.util.Locale;

/**
 * What a filepath ending in a Keras file suffix ({@code .h5}, {@code .hdf5}, {@code .keras}, {@code .weights.h5})
 * becomes. ckpt writes KotlinDL's native format, which is a directory of JSON and text files, never one HDF5 or
 * {@code .keras} file: {@code "runs/best_model.h5"} would be a directory named {@code best_model.h5}.
 *
 * <pre>{@code
 * CheckpointPolicy.builder("runs/best_model.h5").kerasSuffix(KerasSuffix.STRIP).build(); // writes runs/best_model
 * }</pre>
 *
 * <p>It does not convert anything to HDF5, and it leaves other suffixes alone.
 */
public enum KerasSuffix {
    /**
     * Keep the path as written and report, when the policy is built, that each checkpoint is a directory of that
     * name ({@link CheckpointPolicy#warnings()}); the default, so a Keras path never surprises silently.
     */
    WARN,
    /** Drop the suffix: {@code "runs/e{epoch:02d}.keras"} writes {@code runs/e01}, {@code runs/e02}, ... */
    STRIP;

    /** Longest first, so that {@code .weights.h5} is found whole. */
    private static final List<String> SUFFIXES = List.of(".weights.h5", ".keras", ".hdf5", ".h5");

    /** The Keras suffix {@code filepath} ends with, as written (any letter case), or null. */
    static String find(String filepath) {
        String lower = filepath.toLowerCase(Locale.ROOT);
        for (String suffix : SUFFIXES) {
            if (lower.endsWith(suffix)) {
                return filepath.substring(filepath.length() - suffix.length());
            }
        }
        return null;
    }
}

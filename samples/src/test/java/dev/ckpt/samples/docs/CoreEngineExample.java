package dev.ckpt.samples.docs;

import dev.ckpt.core.engine.CheckpointEngine;
import dev.ckpt.core.engine.CheckpointRecord;
import dev.ckpt.core.engine.Decision;
import dev.ckpt.core.policy.CheckpointPolicy;
import dev.ckpt.core.template.PathTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The core engine driven by hand, as the README and {@code CheckpointEngine}'s Javadoc show it (regions {@code engine}
 * and {@code template}; DocSnippetsSpec compares them). {@link #write} and {@link #delete} are the "your I/O" of the
 * example: a checkpoint here is a directory holding one file, and both record the paths they were given, so that
 * CoreEngineExampleSpec can check that the example deletes exactly what retention released.
 */
final class CoreEngineExample {
    private final List<Map<String, Double>> epochLogs;
    final List<Path> written = new ArrayList<>();
    final List<Path> deleted = new ArrayList<>();
    CheckpointEngine engine;

    /** An example whose epoch {@code i} logs {@code epochLogs.get(i)}. */
    CoreEngineExample(List<Map<String, Double>> epochLogs) {
        this.epochLogs = List.copyOf(epochLogs);
    }

    /** Runs the README's loop over {@code epochs} epochs of {@code policy}. */
    void run(CheckpointPolicy policy, int epochs) throws IOException {
        // region engine
        CheckpointEngine engine = CheckpointEngine.start(policy, Clock.systemUTC());
        Path run = Path.of(policy.runDirectory());   // checkpoint paths in the engine's plans are relative to it
        engine.onTrainBegin(List.of("loss", "accuracy", "val_loss", "val_accuracy"));
        for (int epoch = 0; epoch < epochs; epoch++) {
            engine.onEpochBegin(epoch);
            Map<String, Double> logs = train(epoch);   // your training: the epoch's metrics
            if (engine.onEpochEnd(epoch, logs) instanceof Decision.Save save) {
                write(run.resolve(save.checkpoint().path()));   // your I/O; if it throws, do not apply: the engine is unchanged
                engine.apply(save);                             // adopt the save: best value and retained checkpoints move on
                for (CheckpointRecord gone : save.plan().released()) {
                    delete(run.resolve(gone.path()));           // what retention lets go, inside the run directory
                }
            }
        }
        // endregion
        this.engine = engine;
    }

    /** The README's template line. */
    static String template() {
        // region template
        String path = PathTemplate.compile("e{epoch:02d}-{val_loss:.2f}").format(Map.of("epoch", 7, "val_loss", 0.125)); // "e07-0.12"
        // endregion
        return path;
    }

    private Map<String, Double> train(int epoch) {
        return epochLogs.get(epoch);
    }

    private void write(Path checkpoint) throws IOException {
        written.add(checkpoint);
        Files.createDirectories(checkpoint);
        Files.writeString(checkpoint.resolve("weights.txt"), checkpoint.getFileName().toString());
    }

    /** Deletes a checkpoint directory; one that does not exist is an error, as deleting the wrong path would be. */
    private void delete(Path checkpoint) throws IOException {
        deleted.add(checkpoint);
        if (!Files.isDirectory(checkpoint)) {
            throw new IOException("no checkpoint directory at " + checkpoint.toAbsolutePath());
        }
        try (Stream<Path> files = Files.walk(checkpoint)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}

package example;

import dev.ckpt.CheckpointCallback;
import dev.ckpt.Ckpt;
import dev.ckpt.core.monitor.Mode;
import dev.ckpt.core.policy.KerasSuffix;
import java.util.ArrayList;
import java.util.List;

/** Builds two callbacks through the Java entry point from the installed ckpt jars; fails loudly if a setting is lost. */
public final class Consumer {
    public static void main(String[] args) {
        List<String> heard = new ArrayList<>();
        CheckpointCallback saver = Ckpt.checkpoint("runs/consumer/best_model.h5", options -> {
            options.setMonitor("val_accuracy");
            options.setMode(Mode.MAX);
            options.setSaveBestOnly(true);
            options.setKeepBest(2);
            options.onMessage(heard::add);
        });
        CheckpointCallback stripped = Ckpt.checkpoint("runs/consumer/best_model.h5", options -> {
            options.setMonitor("val_accuracy");
            options.setKerasSuffix(KerasSuffix.STRIP);
        });
        check(heard.size() == 1 && heard.get(0).startsWith("WARNING: filepath: "), "one Keras-suffix warning, got " + heard);
        check(stripped.getPolicy().filepath().source().equals("runs/consumer/best_model"), "STRIP drops .h5: " + stripped.getPolicy());
        System.out.println("consumer: callback for " + saver.getRunLocation() + " (" + saver.getPolicy().retention().summary()
                + "), the stripped one writes " + stripped.getPolicy().filepath().source());
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }
}

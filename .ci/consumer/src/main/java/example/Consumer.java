package example;

import dev.ckpt.CheckpointCallback;
import dev.ckpt.CheckpointDsl;
import dev.ckpt.Ckpt;
import dev.ckpt.core.monitor.Mode;
import dev.ckpt.core.policy.CheckpointPolicy;
import dev.ckpt.core.policy.KerasSuffix;
import dev.ckpt.core.policy.Retention;
import java.util.ArrayList;
import java.util.List;
import kotlin.Unit;

/** Builds a policy and two callbacks (Java facade and DSL) from the installed ckpt jars; fails loudly if they differ. */
public final class Consumer {
    public static void main(String[] args) {
        List<String> heard = new ArrayList<>();
        CheckpointPolicy policy = CheckpointPolicy.builder("runs/consumer/best_model.h5")
                .monitor("val_accuracy")
                .mode(Mode.MAX)
                .saveBestOnly(true)
                .retention(Retention.keepAll().withKeepBest(2))
                .build();
        CheckpointCallback saver = Ckpt.callback(policy, Ckpt.options().listener(heard::add));
        CheckpointCallback dsl = CheckpointDsl.checkpoint("runs/consumer/best_model.h5", spec -> {
            spec.setMonitor("val_accuracy");
            spec.setMode(Mode.MAX);
            spec.setSaveBestOnly(true);
            spec.setKeepBest(2);
            spec.setKerasSuffix(KerasSuffix.STRIP);
            return Unit.INSTANCE;
        });
        check(heard.size() == 1 && heard.get(0).startsWith("WARNING: filepath: "), "one Keras-suffix warning, got " + heard);
        check(dsl.getPolicy().filepath().source().equals("runs/consumer/best_model"), "STRIP drops .h5: " + dsl.getPolicy());
        System.out.println("consumer: callback for " + saver.getRunLocation() + " (" + saver.getPolicy().retention().summary()
                + "), DSL callback writes " + dsl.getPolicy().filepath().source());
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }
}

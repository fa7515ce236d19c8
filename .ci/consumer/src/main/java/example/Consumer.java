package example;

import dev.ckpt.CheckpointCallback;
import dev.ckpt.Ckpt;
import dev.ckpt.S3SetupException;
import dev.ckpt.core.monitor.Mode;
import dev.ckpt.core.policy.KerasSuffix;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds two callbacks through the Java entry point from the installed ckpt jars; fails loudly if a setting is lost.
 * Then names an s3:// run: with ckpt-s3 among the dependencies (args[0] "with-s3") ckpt-dsl finds its store; without
 * it ("without-s3") the one message names the artifact to add, at the version args[1].
 */
public final class Consumer {
    public static void main(String[] args) {
        check(args.length == 2, "usage: Consumer with-s3|without-s3 VERSION");
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
        s3(args[0].equals("with-s3"), args[1]);
    }

    /** A callback's run location goes through the store selection without any request to S3. */
    private static void s3(boolean withS3, String version) {
        CheckpointCallback onS3 = Ckpt.checkpoint("s3://ckpt-demo/runs/consumer/e{epoch:02d}", options -> { });
        boolean sdk = isPresent("software.amazon.awssdk.services.s3.S3Client");
        check(sdk == withS3, "the AWS SDK is on the class path exactly when ckpt-s3 is: sdk " + sdk + ", ckpt-s3 " + withS3);
        if (withS3) {
            String location = onS3.getRunLocation();
            check(location.equals("s3://ckpt-demo/runs/consumer"), "ckpt-s3 serves the run: " + location);
            System.out.println("consumer with ckpt-s3: run " + location + " resolved by the S3 store");
            return;
        }
        // getRunLocation declares no checked exception (Kotlin), so Java cannot catch S3SetupException by name here.
        S3SetupException e;
        try {
            throw new AssertionError("without ckpt-s3, s3:// resolved to " + onS3.getRunLocation());
        } catch (Exception thrown) {
            check(thrown instanceof S3SetupException, "without ckpt-s3, an S3SetupException: " + thrown);
            e = (S3SetupException) thrown;
        }
        String expected = "run s3://ckpt-demo/runs/consumer is on S3, which needs the module dev.ckpt:ckpt-s3:" + version
                + " on the class path (it brings the AWS SDK): add it to your dependencies, next to ckpt-dsl (docs/s3.md)";
        check(expected.equals(e.getMessage()), "the message names ckpt-s3: " + e.getMessage());
        System.out.println("consumer without ckpt-s3: " + e.getMessage());
    }

    private static boolean isPresent(String className) {
        try {
            Class.forName(className, false, Consumer.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }
}

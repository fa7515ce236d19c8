package dev.ckpt.notebook;

import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Jupyter makes one stream output of each write the kernel sends; the buffer sends whole lines. */
class LineBufferTest {

    /** Records each write it receives as one string. */
    private static final class Writes extends OutputStream {
        final List<String> received = new ArrayList<>();

        @Override
        public void write(int b) {
            received.add(String.valueOf((char) b));
        }

        @Override
        public void write(byte[] b, int off, int len) {
            received.add(new String(b, off, len, StandardCharsets.UTF_8));
        }
    }

    @Test
    void aPrintfWithSeveralArgumentsArrivesAsOneWrite() {
        Writes writes = new Writes();
        PrintStream out = new PrintStream(new JShellKernel.LineBuffer(writes), false, StandardCharsets.UTF_8);

        out.printf("%s epoch %2d  val_accuracy %.4f%n", "e13-acc0.9766", 13, 0.9766);

        assertEquals(List.of("e13-acc0.9766 epoch 13  val_accuracy 0.9766\n"), writes.received);
    }

    @Test
    void anUnfinishedLineWaitsForAFlush() {
        Writes writes = new Writes();
        PrintStream out = new PrintStream(new JShellKernel.LineBuffer(writes), false, StandardCharsets.UTF_8);

        out.print("restoring ");
        out.print("e13");
        assertEquals(List.of(), writes.received);

        out.flush();
        assertEquals(List.of("restoring e13"), writes.received);
    }
}

package dev.ckpt.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ckpt.Checkpoints;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Java caller (the Java notebook, a Java app) draws the history chart and runs the command line. */
class JavaApiTest {
    @TempDir
    Path dir;

    @Test
    void javaCallerDrawsTheHistoryChart() throws IOException {
        Checkpoints run = Checkpoints.open(CliRuns.INSTANCE.getTrained());
        Path png = HistoryChart.write(run, dir.resolve("history.png"));
        assertEquals(dir.resolve("history.png"), png);
        assertTrue(Files.size(png) > 10_000, "a rendered chart, not an empty file");
        Path svg = HistoryChart.write(run, List.of("val_loss"), dir.resolve("val_loss.svg"));
        assertTrue(Files.readString(svg).contains("<svg"));
        assertEquals(List.of("val_accuracy", "loss"), HistoryChart.defaultMetrics(run));
    }

    @Test
    void javaCallerRunsTheCommandLine() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = CkptCli.run(new String[] {"best", CliRuns.INSTANCE.getTrained().toString()},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(ExitCodes.OK, exit);
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith(CliRuns.INSTANCE.getTrained().toString()));
        assertEquals("", err.toString(StandardCharsets.UTF_8));
    }
}

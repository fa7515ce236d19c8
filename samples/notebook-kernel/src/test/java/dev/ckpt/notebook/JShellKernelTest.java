package dev.ckpt.notebook;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.ToolProvider;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cell evaluation as Jupyter sees it, without a Jupyter connection: one kernel for all tests (JShell starts slowly). */
class JShellKernelTest {

    @TempDir
    static Path classes;

    private static JShellKernel kernel;

    @BeforeAll
    static void startKernelWithAClassOnJjavaClasspath() throws Exception {
        Path source = Files.writeString(classes.resolve("Greeting.java"),
                "package probe; public class Greeting { public static String hello() { return \"hello from the classpath\"; } }");
        int status = ToolProvider.getSystemJavaCompiler().run(null, null, null, "-d", classes.toString(), source.toString());
        assertEquals(0, status, "javac Greeting.java");
        kernel = JShellKernel.start(classes.toString());
    }

    @AfterAll
    static void stopKernel() {
        kernel.onShutdown(false);
    }

    @Test
    void theValueOfACellIsItsLastExpression() {
        assertEquals("42", kernel.evalRaw("int half = 21;\nhalf * 2"));
    }

    @Test
    void aTrailingSemicolonHidesTheCellsValue() {
        assertNull(kernel.evalRaw("40 + 2;"));
    }

    @Test
    void aVariableDeclaredInOneCellIsSeenByTheNext() {
        kernel.evalRaw("String word = \"notebook\";");
        assertEquals("8", kernel.evalRaw("word.length()"));
    }

    @Test
    void cellsCompileWithoutImportingJavaUtil() {
        assertEquals("3", kernel.evalRaw("List.of(1, 2, 3).size()"));
    }

    @Test
    void classesOnJjavaClasspathAreVisibleToCells() {
        assertEquals("\"hello from the classpath\"", kernel.evalRaw("probe.Greeting.hello()"));
    }

    @Test
    void aCompileErrorIsReportedWithTheCompilersMessage() {
        JShellKernel.CellException e = assertThrows(JShellKernel.CellException.class, () -> kernel.evalRaw("int n = undefinedName;"));
        assertEquals("CompilationError", e.ename);
        assertTrue(e.getMessage().contains("cannot find symbol"), e.getMessage());
    }

    @Test
    void anExceptionThrownByACellIsReportedWithItsClassAndMessage() {
        JShellKernel.CellException e = assertThrows(JShellKernel.CellException.class,
                () -> kernel.evalRaw("throw new IllegalStateException(\"no run directory\");"));
        assertEquals("java.lang.IllegalStateException", e.ename);
        assertEquals("no run directory", e.getMessage());
    }

    @Test
    void anIncompleteCellIsAnErrorNotASilentNoOp() {
        JShellKernel.CellException e = assertThrows(JShellKernel.CellException.class, () -> kernel.evalRaw("int x = (1 +"));
        assertEquals("IncompleteInput", e.ename);
    }
}

package dev.ckpt.notebook;

import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;
import org.dflib.jjava.jupyter.channels.JupyterConnection;
import org.dflib.jjava.jupyter.channels.ShellReplyEnvironment;
import org.dflib.jjava.jupyter.kernel.BaseKernel;
import org.dflib.jjava.jupyter.kernel.JupyterIO;
import org.dflib.jjava.jupyter.kernel.KernelConnectionProperties;
import org.dflib.jjava.jupyter.kernel.LanguageInfo;
import org.dflib.jjava.jupyter.kernel.ReplacementOptions;
import org.dflib.jjava.jupyter.kernel.comm.CommManager;
import org.dflib.jjava.jupyter.kernel.display.DisplayData;
import org.dflib.jjava.jupyter.kernel.display.Renderer;
import org.dflib.jjava.jupyter.kernel.magic.MagicParser;
import org.dflib.jjava.jupyter.kernel.magic.MagicTranspiler;
import org.dflib.jjava.jupyter.kernel.magic.MagicsRegistry;
import org.dflib.jjava.jupyter.kernel.util.PathsHandler;
import org.dflib.jjava.jupyter.kernel.util.StringStyler;
import org.dflib.jjava.jupyter.kernel.util.TextColor;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * A Jupyter kernel for Java: JShell evaluates the cells in the kernel's own JVM, on the Jupyter protocol of
 * JJava's kernel library ({@code org.dflib.jjava:jjava-jupyter}, the part of JJava that Maven Central serves).
 *
 * <p>Jupyter starts it from a kernel spec ({@code kernel.json}; .ci/notebook writes one):
 * <pre>{@code
 * "argv": ["/usr/lib/jvm/.../bin/java", "-cp", "<kernel classpath>",
 *          "dev.ckpt.notebook.JShellKernel", "{connection_file}"],
 * "env": {"JJAVA_CLASSPATH": "samples/target/classes:..."}
 * }</pre>
 *
 * <p>It runs JJava notebooks as far as the samples need: {@code JJAVA_CLASSPATH} adds to the classpath at
 * start, {@code %classpath a.jar:b/} during a session, and the static methods of {@code BaseNotebookStatics}
 * ({@code display(o)}, {@code render(o)}, ...) are imported into every cell, so
 * {@code display(ImageIO.read(file))} shows a PNG. A cell's value is its last expression's, hidden by a
 * trailing {@code ;} as in IPython.
 *
 * <p>It deliberately does not resolve Maven coordinates ({@code %maven}, {@code %%loadFromPOM}): a notebook
 * runs against the classpath the build gives it, offline. Nor does it isolate cells in a separate JVM: a
 * cell that calls {@code System.exit} ends the kernel.
 */
public final class JShellKernel extends BaseKernel {

    /** Same variable as JJava: a path-separated list of jars/dirs (globs allowed) added at start. */
    public static final String CLASSPATH_ENV = "JJAVA_CLASSPATH";

    private static final String STARTUP_IMPORTS = String.join("\n",
            "import java.util.*;",
            "import java.io.*;",
            "import java.math.*;",
            "import java.net.*;",
            "import java.time.*;",
            "import java.util.concurrent.*;",
            "import java.util.regex.*;",
            "import static org.dflib.jjava.jupyter.kernel.BaseNotebookStatics.*;");

    private final JShell shell;
    private final SourceCodeAnalysis analysis;

    private JShellKernel(JShell shell, MagicsRegistry magics) {
        super("ckpt-jshell", "0.1",
                new LanguageInfo.Builder("Java")
                        .version(Runtime.version().toString())
                        .mimetype("text/x-java-source")
                        .fileExtension(".jshell")
                        .pygments("java")
                        .codemirror("java")
                        .build(),
                List.of(), null,
                new JupyterIO(StandardCharsets.UTF_8),
                new CommManager(),
                new Renderer(),
                new MagicParser("(?<=(?:^|=))\\s*%", "%%", new MagicTranspiler()),
                magics,
                false,
                new StringStyler.Builder()
                        .addPrimaryStyle(TextColor.BOLD_RESET_FG)
                        .addSecondaryStyle(TextColor.BOLD_RED_FG)
                        .addHighlightStyle(TextColor.BOLD_RESET_FG)
                        .addHighlightStyle(TextColor.RED_BG)
                        .build());
        this.shell = shell;
        this.analysis = shell.sourceCodeAnalysis();
    }

    /**
     * Starts the kernel on the Jupyter connection file that Jupyter passes ({@code {connection_file}} in the
     * kernel spec) and serves until Jupyter shuts it down.
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: java -cp <kernel classpath> " + JShellKernel.class.getName() + " <connection file>");
            System.exit(2);
        }
        KernelConnectionProperties props = KernelConnectionProperties.parse(Files.readString(Path.of(args[0])));
        JupyterConnection connection = new JupyterConnection(props);
        JShellKernel kernel = start(System.getenv(CLASSPATH_ENV));
        kernel.becomeHandlerForConnection(connection);
        connection.connect();
        connection.waitUntilClose();
        kernel.shell.close();
        System.exit(0);
    }

    /**
     * A kernel ready to evaluate cells, before any Jupyter connection: the startup imports are done and
     * {@code classpath} (JJava's syntax, may be null) is added. {@link #main} connects it; tests use it as it is.
     */
    static JShellKernel start(String classpath) {
        JShell shell = JShell.builder()
                .executionEngine("local")
                .out(System.out).err(System.err).in(System.in)
                .build();
        // The compiler sees the kernel's own classpath (BaseNotebookStatics); loading goes through the
        // application class loader, parent of JShell's loader, so these classes exist once.
        shell.addToClasspath(System.getProperty("java.class.path"));

        MagicsRegistry magics = new MagicsRegistry();
        JShellKernel kernel = new JShellKernel(shell, magics);
        magics.registerLineMagic("classpath", (BaseKernel k, List<String> a) ->
                ((JShellKernel) k).addToClasspath(String.join(File.pathSeparator, a)));

        kernel.onStartup();
        kernel.addToClasspath(classpath);
        kernel.evalRaw(STARTUP_IMPORTS);
        return kernel;
    }

    /** Adds jars or directories (globs allowed) to what cells compile against and load from. */
    public String addToClasspath(String classpath) {
        if (classpath == null || classpath.isBlank()) {
            return "";
        }
        String resolved = PathsHandler.joinPaths(PathsHandler.splitAndResolveGlobs(classpath));
        shell.addToClasspath(resolved);
        return resolved;
    }

    /**
     * Evaluates a cell snippet by snippet and returns the value of the last one when it is an
     * expression. As in IPython, a trailing {@code ;} hides that value ({@code display(x);}).
     */
    @Override
    public Object evalRaw(String source) {
        String code = magicParser.resolveMagics(source);
        Object last = null;
        try {
            SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(code);
            while (info.completeness().isComplete()) {
                last = evalSnippet(info.source());
                info = analysis.analyzeCompletion(info.remaining());
            }
            if (info.completeness() != SourceCodeAnalysis.Completeness.EMPTY) {
                throw new CellException("IncompleteInput", "incomplete input: " + info.remaining().trim(), List.of());
            }
        } finally {
            System.out.flush();
            System.err.flush();
        }
        return code.strip().endsWith(";") ? null : last;
    }

    /** Shows [data] after what the cell printed so far. */
    @Override
    public void display(DisplayData data) {
        System.out.flush();
        System.err.flush();
        super.display(data);
    }

    /**
     * Cell output goes to Jupyter a line at a time: JJava's streams send one message per write, which
     * splits a {@code printf} into a stream output per argument in the saved notebook.
     */
    @Override
    protected void replaceOutputStreams(ShellReplyEnvironment env) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        InputStream oldIn = System.in;
        System.setOut(new PrintStream(new LineBuffer(io.out), false, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(new LineBuffer(io.err), false, StandardCharsets.UTF_8));
        System.setIn(io.in);
        env.defer(() -> {
            System.setOut(oldOut);
            System.setErr(oldErr);
            System.setIn(oldIn);
        });
    }

    /** Passes bytes on when a line ends, when 8 KiB are pending, or on flush. */
    static final class LineBuffer extends OutputStream {
        private final OutputStream target;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        LineBuffer(OutputStream target) {
            this.target = target;
        }

        @Override
        public synchronized void write(int b) {
            pending.write(b);
            if (b == '\n' || pending.size() >= 8192) {
                flush();
            }
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            pending.write(b, off, len);
            boolean newline = false;
            for (int i = off; i < off + len && !newline; i++) {
                newline = b[i] == '\n';
            }
            if (newline || pending.size() >= 8192) {
                flush();
            }
        }

        @Override
        public synchronized void flush() {
            if (pending.size() == 0) {
                return;
            }
            try {
                pending.writeTo(target);
                target.flush();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            } finally {
                pending.reset();
            }
        }
    }

    /** Evaluates one snippet; returns the text of its value when it is an expression, else null. */
    private Object evalSnippet(String code) {
        Object value = null;
        for (SnippetEvent event : shell.eval(code)) {
            if (event.causeSnippet() != null) {
                continue; // an update of an earlier snippet, not this one
            }
            JShellException thrown = event.exception();
            if (thrown != null) {
                throw fromJShell(thrown);
            }
            if (!event.status().isDefined()) {
                throw compileError(event.snippet());
            }
            switch (event.snippet().subKind()) {
                case VAR_VALUE_SUBKIND:
                case OTHER_EXPRESSION_SUBKIND:
                case TEMP_VAR_EXPRESSION_SUBKIND:
                    String text = event.value();
                    value = text == null || text.isEmpty() ? null : text;
                    break;
                default:
                    value = null;
            }
        }
        return value;
    }

    private CellException compileError(Snippet snippet) {
        List<String> lines = new ArrayList<>();
        List<Diag> diags = shell.diagnostics(snippet).collect(Collectors.toList());
        for (Diag d : diags) {
            if (d.getStartPosition() >= 0 && d.getEndPosition() >= 0) {
                lines.addAll(errorStyler.highlightSubstringLines(snippet.source(), (int) d.getStartPosition(), (int) d.getEndPosition()));
            }
            lines.addAll(errorStyler.secondaryLines(d.getMessage(Locale.ROOT)));
        }
        String message = diags.stream().map(d -> d.getMessage(Locale.ROOT).lines().findFirst().orElse(""))
                .collect(Collectors.joining("; "));
        return new CellException("CompilationError", message.isEmpty() ? "snippet rejected: " + snippet.source().trim() : message, lines);
    }

    private CellException fromJShell(JShellException e) {
        String name = e instanceof EvalException ? ((EvalException) e).getExceptionClassName()
                : e instanceof UnresolvedReferenceException ? "UnresolvedReference" : e.getClass().getName();
        StringWriter trace = new StringWriter();
        e.printStackTrace(new PrintWriter(trace));
        List<String> lines = new ArrayList<>();
        for (String line : StringStyler.splitLines(trace.toString().replace(EvalException.class.getName(), name))) {
            lines.add(errorStyler.secondary(line));
        }
        Throwable cause = e.getCause();
        while (cause != null) { // EvalException carries the remote causes as EvalExceptions too
            if (cause instanceof EvalException) {
                lines.add(errorStyler.secondary("Caused by: " + ((EvalException) cause).getExceptionClassName() + ": " + cause.getMessage()));
            }
            cause = cause.getCause();
        }
        return new CellException(name, String.valueOf(e.getMessage()), lines);
    }

    @Override
    public List<String> formatError(Throwable e) {
        return e instanceof CellException ? ((CellException) e).traceback : super.formatError(e);
    }

    @Override
    public DisplayData inspect(String code, int at, boolean extraDetail) {
        List<SourceCodeAnalysis.Documentation> docs = analysis.documentation(code, at, true);
        if (docs == null || docs.isEmpty()) {
            return null;
        }
        return new DisplayData(docs.stream()
                .map(d -> d.javadoc() == null ? d.signature() : d.signature() + "\n" + d.javadoc())
                .collect(Collectors.joining("\n\n")));
    }

    @Override
    public ReplacementOptions complete(String code, int at) {
        int[] anchor = new int[1];
        List<SourceCodeAnalysis.Suggestion> suggestions = analysis.completionSuggestions(code, at, anchor);
        if (suggestions == null || suggestions.isEmpty()) {
            return null;
        }
        return new ReplacementOptions(
                suggestions.stream().map(SourceCodeAnalysis.Suggestion::continuation).distinct().collect(Collectors.toList()),
                anchor[0], at);
    }

    @Override
    public String isComplete(String code) {
        SourceCodeAnalysis.CompletionInfo info = analysis.analyzeCompletion(code);
        while (info.completeness().isComplete()) {
            info = analysis.analyzeCompletion(info.remaining());
        }
        switch (info.completeness()) {
            case EMPTY:
            case COMPLETE:
            case COMPLETE_WITH_SEMI:
                return IS_COMPLETE_YES;
            case UNKNOWN:
                return IS_COMPLETE_BAD;
            default:
                return "    ";
        }
    }

    @Override
    public void interrupt() {
        shell.stop();
    }

    @Override
    public void onShutdown(boolean isRestarting) {
        super.onShutdown(isRestarting);
        shell.close();
    }

    /** A cell's failure, reported to Jupyter with {@code ename}, {@code evalue} and a traceback. */
    static final class CellException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String ename;
        // Never serialized: it only travels from evalRaw to formatError in this JVM.
        final transient List<String> traceback;

        CellException(String ename, String message, List<String> traceback) {
            super(message, null, false, false);
            this.ename = ename;
            this.traceback = traceback;
        }

        /** Jupyter's {@code evalue}: the {@code ename} is always this class's name, so the real one goes here. */
        @Override
        public String getLocalizedMessage() {
            return ename + ": " + getMessage();
        }
    }
}

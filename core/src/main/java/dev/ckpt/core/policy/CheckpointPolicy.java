package dev.ckpt.core.policy;

import dev.ckpt.core.CheckpointConfigException;
import dev.ckpt.core.monitor.MetricDirections;
import dev.ckpt.core.monitor.Mode;
import dev.ckpt.core.monitor.Monitor;
import dev.ckpt.core.template.PathTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything that decides when a checkpoint is saved and which ones are kept: Keras's
 * {@code ModelCheckpoint} arguments plus ckpt's retention and missing-metric rules. Immutable and
 * checked as a whole when built, so a policy that cannot work fails before the first epoch.
 *
 * <pre>{@code
 * CheckpointPolicy policy = CheckpointPolicy.builder("runs/digits/e{epoch:02d}-{val_accuracy:.3f}")
 *         .monitor("val_accuracy")
 *         .mode(Mode.MAX)
 *         .saveBestOnly(true)
 *         .keepBest(3)
 *         .build();
 * CheckpointPolicy everyHundred = policy.toBuilder()
 *         .filepath("runs/digits/b{step}").saveFrequency(SaveFrequency.everyBatches(100))
 *         .monitor("loss").mode(Mode.MIN).build();
 * }</pre>
 *
 * <p>Refused when built, with a message naming the option: a malformed template; a field whose spec
 * cannot format its value ({@code {val_loss:d}}); a monitor whose direction AUTO cannot infer; a
 * validation metric ({@code val_...}) in the template or as a save-best-only monitor when saving at
 * batch ends (batch logs never hold validation metrics); a {@code {batch}} field when saving at epoch
 * ends; counts below 1; a NaN threshold. It does not know which metrics a model logs: that is
 * checked when training begins. What works but may not do what the caller means (a Keras file suffix
 * on a path that will be a directory) is reported by {@link #warnings()}; core does no logging itself.
 */
public final class CheckpointPolicy {
    private final PathTemplate filepath;
    private final Monitor monitor;
    private final Mode mode;
    private final boolean saveBestOnly;
    private final boolean saveWeightsOnly;
    private final SaveFrequency saveFrequency;
    private final Double initialValueThreshold;
    private final Retention retention;
    private final MissingMonitor missingMonitor;
    private final boolean verbose;
    private final MetricDirections metricDirections;
    private final boolean monitorExplicit;
    private final int runDirectoryEnd;
    private final String requestedFilepath;
    private final KerasSuffix kerasSuffix;
    private final List<String> warnings;

    private CheckpointPolicy(Builder b, PathTemplate filepath, Monitor monitor, List<String> warnings) {
        this.filepath = filepath;
        this.requestedFilepath = b.filepath;
        this.kerasSuffix = b.kerasSuffix;
        this.warnings = List.copyOf(warnings);
        this.monitor = monitor;
        this.monitorExplicit = b.monitorExplicit;
        this.runDirectoryEnd = filepath.literalPrefix().lastIndexOf('/');
        this.mode = b.mode;
        this.saveBestOnly = b.saveBestOnly;
        this.saveWeightsOnly = b.saveWeightsOnly;
        this.saveFrequency = b.saveFrequency;
        this.initialValueThreshold = b.initialValueThreshold;
        this.retention = b.retention;
        this.missingMonitor = b.missingMonitor;
        this.verbose = b.verbose;
        this.metricDirections = b.metricDirections;
    }

    /** Starts a policy that saves to {@code filepath}, a Python {@code str.format} template. */
    public static Builder builder(String filepath) {
        return new Builder().filepath(filepath);
    }

    /** A builder holding this policy's settings. */
    public Builder toBuilder() {
        Builder b = new Builder().filepath(requestedFilepath).kerasSuffix(kerasSuffix).monitor(monitor.metric()).mode(mode)
                .minDelta(monitor.minDelta()).saveBestOnly(saveBestOnly).saveWeightsOnly(saveWeightsOnly)
                .saveFrequency(saveFrequency).initialValueThreshold(initialValueThreshold).retention(retention)
                .onMissingMonitor(missingMonitor).verbose(verbose);
        b.metricDirections = metricDirections;
        b.monitorExplicit = monitorExplicit;
        return b;
    }

    /** The compiled filepath template (without a Keras suffix when {@link KerasSuffix#STRIP} removed it). */
    public PathTemplate filepath() {
        return filepath;
    }

    /** What a filepath ending in a Keras file suffix becomes. */
    public KerasSuffix kerasSuffix() {
        return kerasSuffix;
    }

    /**
     * Notes on settings that work but may not do what the caller means, one line each, found when the policy was
     * built; empty for most policies. The callback logs each once, as a warning, where its other messages go.
     *
     * <pre>{@code
     * CheckpointPolicy.builder("runs/best_model.h5").build().warnings()
     * // [filepath: "runs/best_model.h5" ends in ".h5", but KotlinDL's native format is a directory: ...]
     * }</pre>
     */
    public List<String> warnings() {
        return warnings;
    }

    /**
     * The run directory: the filepath's fixed leading directories, where the run's manifest lives
     * ({@code "runs/digits"} for {@code "runs/digits/e{epoch:02d}"}); {@code ""} when the template names
     * checkpoints directly in the working directory ({@code "e{epoch}"}).
     */
    public String runDirectory() {
        return runDirectoryEnd < 0 ? "" : runDirectoryEnd == 0 ? "/" : filepath.literalPrefix().substring(0, runDirectoryEnd);
    }

    /**
     * The part of a formatted filepath below {@link #runDirectory()}: {@code "e07"} for
     * {@code "runs/digits/e07"}. Every formatted path starts with the template's literal prefix, so this
     * only cuts it off.
     */
    public String pathInRun(String formatted) {
        return formatted.substring(runDirectoryEnd + 1);
    }

    /** The monitored metric with its resolved direction and minimum delta. */
    public Monitor monitor() {
        return monitor;
    }

    /**
     * Whether the monitor was set by the caller (true) or is Keras's default {@code val_loss} (false). A
     * monitor the caller named must be logged by the model; the default may be absent when the policy does
     * not rely on it (saves then go on, as in Keras).
     */
    public boolean monitorExplicit() {
        return monitorExplicit;
    }

    /** The mode as configured (AUTO stays AUTO here; {@link #monitor()} has the resolved direction). */
    public Mode mode() {
        return mode;
    }

    /** Whether only improvements of the monitored metric are saved. */
    public boolean saveBestOnly() {
        return saveBestOnly;
    }

    /** Whether checkpoints hold weights only (true) or the full model with optimizer state (false). */
    public boolean saveWeightsOnly() {
        return saveWeightsOnly;
    }

    /** When checkpoints are considered. */
    public SaveFrequency saveFrequency() {
        return saveFrequency;
    }

    /** The value the first checkpoint must beat, or null. */
    public Double initialValueThreshold() {
        return initialValueThreshold;
    }

    /** Which committed checkpoints survive. */
    public Retention retention() {
        return retention;
    }

    /** What happens when the monitored metric is missing from a save-best-only decision's logs. */
    public MissingMonitor missingMonitor() {
        return missingMonitor;
    }

    /** Whether the callback reports each decision. */
    public boolean verbose() {
        return verbose;
    }

    /** The table AUTO consulted. */
    public MetricDirections metricDirections() {
        return metricDirections;
    }

    /**
     * The settings that change decisions, by name, in a stable order: two policies with equal maps
     * decide identically. {@code verbose} is not among them.
     */
    public Map<String, String> decisionSettings() {
        return PolicySettings.of(this);
    }

    /**
     * A stable text identifying {@link #decisionSettings()}, one {@code name=value} per line, for
     * storing with a run; {@link #describeDifferences(String)} reads it back.
     */
    public String fingerprint() {
        return Fingerprints.encode(decisionSettings());
    }

    /**
     * The decision settings a {@link #fingerprint()} records, by name ({@code monitor}, {@code direction},
     * {@code retention} ...), in the order it lists them; empty for null. For tools that describe or maintain a
     * run without its policy object, e.g. to learn which way the run's monitor improves.
     *
     * <pre>{@code
     * String direction = CheckpointPolicy.settingsOf(manifestFingerprint).get("direction");   // "MAX"
     * }</pre>
     *
     * <p>It deliberately does not rebuild a policy: a fingerprint holds the decision settings, not the filepath's
     * run directory resolution, the metric directions table or {@code verbose}.
     */
    public static Map<String, String> settingsOf(String fingerprint) {
        return java.util.Collections.unmodifiableMap(Fingerprints.decode(fingerprint));
    }

    /**
     * The decision settings in which this policy differs from one whose {@link #fingerprint()} was
     * {@code otherFingerprint}, as lines such as {@code monitor: run has "val_loss", policy has
     * "val_accuracy"}; empty when they decide identically.
     */
    public List<String> describeDifferences(String otherFingerprint) {
        return PolicySettings.differences(decisionSettings(), otherFingerprint);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CheckpointPolicy && ((CheckpointPolicy) o).decisionSettings().equals(decisionSettings())
                && ((CheckpointPolicy) o).verbose == verbose
                && ((CheckpointPolicy) o).kerasSuffix == kerasSuffix
                && ((CheckpointPolicy) o).metricDirections.equals(metricDirections);
    }

    @Override
    public int hashCode() {
        return decisionSettings().hashCode();
    }

    @Override
    public String toString() {
        return "CheckpointPolicy" + decisionSettings();
    }

    /**
     * Collects settings; {@link #build()} checks them together. Defaults are Keras's: monitor
     * {@code val_loss}, mode AUTO, every epoch, keep everything; plus ckpt's skip-and-warn on a missing
     * monitored value.
     *
     * <pre>{@code
     * CheckpointPolicy.Builder b = CheckpointPolicy.builder("ck/e{epoch}").monitor("loss");
     * CheckpointPolicy p = b.saveBestOnly(true).build();
     * }</pre>
     *
     * <p>Setters only reject null; values and the rules between them are checked by {@link #build()}
     * (counts and durations are checked where {@link SaveFrequency} and {@link Retention} are made).
     */
    public static final class Builder {
        private String filepath;
        private String monitor = "val_loss";
        private Mode mode = Mode.AUTO;
        private double minDelta;
        private boolean saveBestOnly;
        private boolean saveWeightsOnly;
        private SaveFrequency saveFrequency = SaveFrequency.everyEpoch();
        private Double initialValueThreshold;
        private Retention retention = Retention.keepAll();
        private MissingMonitor missingMonitor = MissingMonitor.SKIP_AND_WARN;
        private boolean verbose;
        private MetricDirections metricDirections = MetricDirections.builtIn();
        private boolean monitorExplicit;
        private KerasSuffix kerasSuffix = KerasSuffix.WARN;

        private Builder() {
        }

        /** The filepath template, e.g. {@code "runs/x/e{epoch:02d}-{val_loss:.2f}"}. */
        public Builder filepath(String filepath) {
            this.filepath = Objects.requireNonNull(filepath, "filepath");
            return this;
        }

        /** The metric that decides "best", as logged (e.g. {@code val_accuracy}); default {@code val_loss}. */
        public Builder monitor(String monitor) {
            this.monitor = Objects.requireNonNull(monitor, "monitor");
            this.monitorExplicit = true;
            return this;
        }

        /** MIN, MAX or AUTO (default). */
        public Builder mode(Mode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** The margin an improvement must exceed; finite, {@code >= 0}; default 0. */
        public Builder minDelta(double minDelta) {
            this.minDelta = minDelta;
            return this;
        }

        /** Save only when the monitored metric improves. */
        public Builder saveBestOnly(boolean saveBestOnly) {
            this.saveBestOnly = saveBestOnly;
            return this;
        }

        /** Save weights only instead of the full model with optimizer state. */
        public Builder saveWeightsOnly(boolean saveWeightsOnly) {
            this.saveWeightsOnly = saveWeightsOnly;
            return this;
        }

        /** When to consider saving; default every epoch. */
        public Builder saveFrequency(SaveFrequency saveFrequency) {
            this.saveFrequency = Objects.requireNonNull(saveFrequency, "saveFrequency");
            return this;
        }

        /** The value the first saved checkpoint must beat (Keras's {@code initial_value_threshold}); null for none. */
        public Builder initialValueThreshold(Double threshold) {
            this.initialValueThreshold = threshold;
            return this;
        }

        /** Which checkpoints to keep; default all. */
        public Builder retention(Retention retention) {
            this.retention = Objects.requireNonNull(retention, "retention");
            return this;
        }

        /** Also keep the {@code k} best checkpoints by the monitored value: {@code retention(retention().withKeepBest(k))}. */
        public Builder keepBest(int k) {
            return retention(retention.withKeepBest(k));
        }

        /** Also keep the {@code n} most recent checkpoints: {@code retention(retention().withKeepLast(n))}. */
        public Builder keepLast(int n) {
            return retention(retention.withKeepLast(n));
        }

        /** Also keep the checkpoints of every {@code m}-th epoch: {@code retention(retention().withKeepEveryNthEpoch(m))}. */
        public Builder keepEveryNthEpoch(int m) {
            return retention(retention.withKeepEveryNthEpoch(m));
        }

        /**
         * Also keep one checkpoint per {@code span} for good (TF's {@code keep_checkpoint_every_n_hours}):
         * {@code retention(retention().withKeepOnePer(span))}.
         */
        public Builder keepOnePer(java.time.Duration span) {
            return retention(retention.withKeepOnePer(span));
        }

        /** What to do when the monitored value is missing; default {@link MissingMonitor#SKIP_AND_WARN}. */
        public Builder onMissingMonitor(MissingMonitor missingMonitor) {
            this.missingMonitor = Objects.requireNonNull(missingMonitor, "onMissingMonitor");
            return this;
        }

        /** Whether the callback reports each decision. */
        public Builder verbose(boolean verbose) {
            this.verbose = verbose;
            return this;
        }

        /**
         * The directions AUTO uses, replacing the table; default {@link MetricDirections#builtIn()}.
         * Use {@code MetricDirections.builtIn().with(...)} to add names.
         */
        public Builder metricDirections(MetricDirections directions) {
            this.metricDirections = Objects.requireNonNull(directions, "metricDirections");
            return this;
        }

        /**
         * What a filepath ending in {@code .h5}, {@code .hdf5}, {@code .keras} or {@code .weights.h5} becomes:
         * kept with a warning (default), or stripped of the suffix.
         */
        public Builder kerasSuffix(KerasSuffix kerasSuffix) {
            this.kerasSuffix = Objects.requireNonNull(kerasSuffix, "kerasSuffix");
            return this;
        }

        /**
         * Checks every setting and the rules across them.
         *
         * @throws CheckpointConfigException naming the first option that cannot work
         */
        public CheckpointPolicy build() {
            List<String> warnings = new ArrayList<>();
            PathTemplate template = PolicyChecks.compileTemplate(PolicyChecks.kerasPath(filepath, kerasSuffix, warnings));
            if (initialValueThreshold != null && Double.isNaN(initialValueThreshold)) {
                throw new CheckpointConfigException("initialValueThreshold",
                        "initialValueThreshold: needs a number or null, got NaN");
            }
            Monitor resolved = Monitor.resolve(monitor, mode, minDelta, metricDirections);
            PolicyChecks.checkFillable(template, filepath, saveFrequency, saveBestOnly || retention.keepBest() != null,
                    saveBestOnly, monitor);
            PolicyChecks.checkPathInRun(template, filepath);
            return new CheckpointPolicy(this, template, resolved, warnings);
        }
    }
}

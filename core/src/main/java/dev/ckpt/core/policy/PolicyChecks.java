package dev.ckpt.core.policy;

import dev.ckpt.core.CheckpointConfigException;
import dev.ckpt.core.template.FieldType;
import dev.ckpt.core.template.PathTemplate;
import dev.ckpt.core.template.TemplateException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The filepath rules {@link CheckpointPolicy.Builder#build()} applies: each throws a
 * {@link CheckpointConfigException} naming the option, the value and what would work.
 */
final class PolicyChecks {
    private static final String VAL_PREFIX = "val_";

    private PolicyChecks() {
    }

    /** The filepath to compile: as written, or without its Keras suffix; a kept suffix is reported. */
    static String kerasPath(String filepath, KerasSuffix kerasSuffix, List<String> warnings) {
        if (filepath == null || filepath.isEmpty()) {
            throw new CheckpointConfigException("filepath",
                    "filepath: needs a path template such as \"runs/x/e{epoch:02d}\", got \"\"");
        }
        String suffix = KerasSuffix.find(filepath);
        if (suffix == null) {
            return filepath;
        }
        String stripped = filepath.substring(0, filepath.length() - suffix.length());
        if (kerasSuffix == KerasSuffix.WARN) {
            warnings.add("filepath: \"" + filepath + "\" ends in \"" + suffix + "\", but KotlinDL's native format is"
                    + " a directory: checkpoints will be directories named \"" + filepath + "\", not single files;"
                    + " kerasSuffix = STRIP names them \"" + stripped + "\"");
            return filepath;
        }
        if (stripped.isEmpty() || stripped.endsWith("/")) {
            throw new CheckpointConfigException("filepath", "filepath: \"" + filepath + "\" without its Keras suffix"
                    + " \"" + suffix + "\" (kerasSuffix = STRIP) names no checkpoint; write a name before the suffix,"
                    + " such as \"" + stripped + "best" + suffix + "\"");
        }
        return stripped;
    }

    static PathTemplate compileTemplate(String source) {
        PathTemplate template;
        try {
            template = PathTemplate.compile(source);
        } catch (TemplateException e) {
            throw new CheckpointConfigException("filepath", "filepath: " + e.getMessage(), e);
        }
        Map<String, FieldType> types = new LinkedHashMap<>();
        for (String field : template.fieldNames()) {
            types.put(field, TemplateValues.isCounter(field) ? FieldType.INT : FieldType.FLOAT);
        }
        try {
            template.checkTypes(types);
        } catch (TemplateException e) {
            throw new CheckpointConfigException("filepath", "filepath: " + e.getMessage(), e);
        }
        return template;
    }

    /**
     * The part below the run directory names the checkpoint inside the run: it must exist, and the
     * template's own text must not add empty, "." or ".." segments (formatted numbers never do).
     */
    static void checkPathInRun(PathTemplate template, String filepath) {
        String prefix = template.literalPrefix();
        int end = prefix.lastIndexOf('/');
        if (!template.hasFields() && prefix.endsWith("/")) {
            throw new CheckpointConfigException("filepath", "filepath: \"" + filepath + "\" ends with '/', so it"
                    + " names the run directory but no checkpoint in it; add a name such as \"" + filepath
                    + "e{epoch:02d}\"");
        }
        Map<String, Object> sample = new LinkedHashMap<>();
        for (String field : template.fieldNames()) {
            sample.put(field, TemplateValues.isCounter(field) ? (Object) 1L : (Object) 0.5);
        }
        String inRun;
        try {
            inRun = template.format(sample).substring(end + 1);
        } catch (TemplateException e) {
            return; // a spec that depends on values in ways a sample cannot show; formatting reports it later
        }
        for (String segment : inRun.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new CheckpointConfigException("filepath", "filepath: \"" + filepath + "\" has the path"
                        + " segment \"" + segment + "\" below its run directory \"" + (end < 0 ? "" : prefix.substring(0, end))
                        + "\"; checkpoint paths inside a run need non-empty names without '.' or '..' segments");
            }
        }
    }

    /**
     * Every template field and the monitor can be filled where {@code saveFrequency} decides: batch logs hold no
     * validation metrics, and epoch ends have no batch.
     */
    static void checkFillable(PathTemplate template, String filepath, SaveFrequency saveFrequency,
            boolean monitorNeeded, boolean saveBestOnly, String monitor) {
        boolean batchLevel = saveFrequency.batchLevel();
        for (String field : template.fieldNames()) {
            if (batchLevel && field.startsWith(VAL_PREFIX)) {
                throw new CheckpointConfigException("filepath", "filepath: field '" + field + "' in \""
                        + filepath + "\" can never be filled: saveFrequency " + saveFrequency
                        + " saves at batch ends, whose logs hold no validation metrics; "
                        + "use saveFrequency = everyEpoch() or a training metric");
            }
            if (!batchLevel && field.equals(TemplateValues.BATCH)) {
                throw new CheckpointConfigException("filepath", "filepath: field 'batch' in \"" + filepath
                        + "\" can never be filled: saveFrequency " + saveFrequency + " saves at epoch ends, where there is"
                        + " no batch; use {epoch} or {step}, or save every N batches");
            }
        }
        if (batchLevel && monitorNeeded && monitor.startsWith(VAL_PREFIX)) {
            throw new CheckpointConfigException("monitor", "monitor: '" + monitor + "' is never logged at batch"
                    + " ends, where saveFrequency " + saveFrequency + " decides; "
                    + (saveBestOnly ? "saveBestOnly" : "keepBest") + " needs a training metric such as 'loss',"
                    + " or saveFrequency = everyEpoch()");
        }
    }
}

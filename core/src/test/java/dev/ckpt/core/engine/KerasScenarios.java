package dev.ckpt.core.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ckpt.core.monitor.Direction;
import dev.ckpt.core.monitor.MetricDirections;
import dev.ckpt.core.monitor.Mode;
import dev.ckpt.core.policy.CheckpointPolicy;
import dev.ckpt.core.policy.Retention;
import dev.ckpt.core.policy.SaveFrequency;
import dev.ckpt.core.template.TemplateFormatException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads Keras scenario vectors and replays them through the engine. */
final class KerasScenarios {
    static final String ENV = "CKPT_KERAS_SCENARIOS";
    private static final ObjectMapper JSON = new ObjectMapper();

    private KerasScenarios() {
    }

    /** One scenario line. */
    record Scenario(String source, String id, JsonNode node) {
    }

    /** What happened, in the vectors' own terms. */
    record Outcome(String error, Integer errorAt, List<String> saves, List<Integer> missingMonitor, List<String> kept) {
        Outcome(String error, Integer errorAt, List<String> saves, List<Integer> missingMonitor) {
            this(error, errorAt, saves, missingMonitor, null);
        }

        static Outcome expected(JsonNode expect) {
            List<String> saves = new ArrayList<>();
            for (JsonNode s : expect.get("saves")) {
                saves.add(s.get("event").asInt() + ":" + s.get("path").asText());
            }
            List<Integer> missing = new ArrayList<>();
            for (JsonNode m : expect.get("missing_monitor")) {
                missing.add(m.asInt());
            }
            JsonNode error = expect.get("error");
            JsonNode at = expect.get("error_at");
            return new Outcome(error == null || error.isNull() ? null : error.asText(),
                    at == null || at.isNull() ? null : at.asInt(), saves, missing, texts(expect.get("kept")));
        }
    }

    static List<Scenario> load() {
        String env = System.getenv(ENV);
        List<Scenario> out = new ArrayList<>();
        if (env != null && !env.isBlank()) {
            for (String file : env.split(":")) {
                if (!file.isBlank()) {
                    try (InputStream in = Files.newInputStream(Path.of(file))) {
                        read(file, in, out);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
            return out;
        }
        try (InputStream in = KerasScenarios.class.getResourceAsStream("/conformance/keras-scenarios.jsonl")) {
            if (in == null) {
                throw new IllegalStateException("conformance/keras-scenarios.jsonl missing from test resources");
            }
            read("keras-scenarios.jsonl", in, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    private static void read(String source, InputStream in, List<Scenario> out) throws IOException {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        int number = 0;
        while ((line = reader.readLine()) != null) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode node = JSON.readTree(line);
            String id = node.has("id") ? node.get("id").asText() : source + ":" + number;
            out.add(new Scenario(source, id, node));
        }
    }

    private static List<String> texts(JsonNode array) {
        if (array == null || array.isNull()) {
            return null;
        }
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    /** Replays {@code scenario} through ckpt and reports the outcome in the vectors' terms. */
    static Outcome replay(JsonNode scenario) {
        CheckpointPolicy policy;
        try {
            policy = policy(scenario.get("policy"));
        } catch (IllegalArgumentException e) {
            return new Outcome("ConfigError", null, List.of(), List.of());
        }
        TestClock clock = new TestClock(0);
        CheckpointEngine engine = CheckpointEngine.start(policy, clock);
        engine.onTrainBegin(null);
        // What the run's manifest holds after each commit: a "resume" event restarts from it.
        EngineState stored = null;
        List<String> saves = new ArrayList<>();
        List<Integer> missing = new ArrayList<>();
        JsonNode events = scenario.get("events");
        for (int i = 0; i < events.size(); i++) {
            JsonNode event = events.get(i);
            if (event.has("at_seconds")) {
                clock.set(event.get("at_seconds").asLong() * 1000);
            }
            if (event.get("on").asText().equals("resume")) {
                engine = stored == null ? CheckpointEngine.start(policy, clock)
                        : CheckpointEngine.resume(policy, stored, engine.checkpoints(), clock);
                engine.onTrainBegin(null);
                continue;
            }
            Decision decision;
            try {
                CheckpointEngine current = engine;
                decision = switch (event.get("on").asText()) {
                    case "epoch_begin" -> {
                        current.onEpochBegin(event.get("epoch").asInt());
                        yield Decision.none();
                    }
                    case "batch_end" -> current.onBatchEnd(event.get("batch").asInt(), logs(event.get("logs")));
                    case "epoch_end" -> current.onEpochEnd(event.get("epoch").asInt(), logs(event.get("logs")));
                    default -> throw new IllegalArgumentException("unknown event " + event);
                };
            } catch (TemplateFormatException e) {
                return new Outcome("FormatError", i, saves, missing);
            }
            if (decision instanceof Decision.Save save) {
                saves.add(i + ":" + save.path());
                engine.apply(save);
                stored = save.plan().state();
            } else if (decision instanceof Decision.Skip skip && skip.reason() == Decision.Reason.MISSING_MONITOR) {
                missing.add(i);
            }
        }
        List<String> kept = scenario.get("expect").has("kept")
                ? engine.checkpoints().kept().stream().map(CheckpointRecord::path).toList() : null;
        return new Outcome(null, null, saves, missing, kept);
    }

    static CheckpointPolicy policy(JsonNode p) {
        Map<String, Direction> directions = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = p.get("metric_directions").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            directions.put(e.getKey(), e.getValue().asText().equals("max") ? Direction.MAX : Direction.MIN);
        }
        JsonNode freq = p.get("save_freq");
        JsonNode threshold = p.get("initial_value_threshold");
        JsonNode period = p.get("period");
        SaveFrequency frequency = freq.isNumber() ? SaveFrequency.everyBatches(freq.asInt())
                : SaveFrequency.parse(freq.asText());
        if (period != null && !period.isNull()) {
            // TF 2.4's period applies to save_freq="epoch" only, as there
            frequency = SaveFrequency.everyEpochs(period.asInt());
        }
        return CheckpointPolicy.builder(p.get("filepath").asText())
                .monitor(p.get("monitor").asText())
                .mode(kerasMode(p.get("mode").asText()))
                .saveBestOnly(p.get("save_best_only").asBoolean())
                .saveFrequency(frequency)
                .retention(retention(p.get("retention")))
                .initialValueThreshold(threshold == null || threshold.isNull() ? null : number(threshold))
                .metricDirections(MetricDirections.none().with(directions))
                .build();
    }

    private static Retention retention(JsonNode r) {
        if (r == null || r.isNull()) {
            return Retention.keepAll();
        }
        return new Retention(count(r, "keep_best"), count(r, "keep_last"), count(r, "keep_every_nth_epoch"),
                r.has("keep_one_per_seconds") ? Duration.ofSeconds(r.get("keep_one_per_seconds").asLong()) : null);
    }

    private static Integer count(JsonNode r, String name) {
        return r.has(name) ? r.get(name).asInt() : null;
    }

    /** Keras accepts exactly "min", "max" and "auto"; anything else warns and falls back to auto. */
    private static Mode kerasMode(String mode) {
        return switch (mode) {
            case "min" -> Mode.MIN;
            case "max" -> Mode.MAX;
            default -> Mode.AUTO;
        };
    }

    private static Map<String, Double> logs(JsonNode logs) {
        Map<String, Double> out = new LinkedHashMap<>();
        if (logs != null) {
            logs.fields().forEachRemaining(e -> out.put(e.getKey(), number(e.getValue())));
        }
        return out;
    }

    private static double number(JsonNode v) {
        if (v.isNumber()) {
            return v.asDouble();
        }
        return switch (v.asText()) {
            case "NaN" -> Double.NaN;
            case "Infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> throw new IllegalArgumentException("not a number: " + v);
        };
    }
}

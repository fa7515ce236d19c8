package dev.ckpt.core.policy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The decision settings of a {@link CheckpointPolicy} as text, and how a run's recorded settings differ from
 * them: kept apart from the policy, which only holds the values.
 */
final class PolicySettings {
    private PolicySettings() {
    }

    /** The settings that change decisions, by name, in a stable order. */
    static Map<String, String> of(CheckpointPolicy policy) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("filepath", policy.filepath().source());
        m.put("monitor", policy.monitor().metric());
        m.put("direction", policy.monitor().direction().name());
        m.put("minDelta", Double.toString(policy.monitor().minDelta()));
        m.put("saveBestOnly", Boolean.toString(policy.saveBestOnly()));
        m.put("saveWeightsOnly", Boolean.toString(policy.saveWeightsOnly()));
        m.put("saveFrequency", policy.saveFrequency().describe());
        m.put("initialValueThreshold", String.valueOf(policy.initialValueThreshold()));
        m.put("retention", policy.retention().describe());
        m.put("missingMonitor", policy.missingMonitor().name());
        return m;
    }

    /** One line per setting in which {@code mine} differs from the settings {@code otherFingerprint} records. */
    static List<String> differences(Map<String, String> mine, String otherFingerprint) {
        Map<String, String> other = Fingerprints.decode(otherFingerprint);
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, String> e : mine.entrySet()) {
            String theirs = other.get(e.getKey());
            if (!e.getValue().equals(theirs)) {
                out.add(e.getKey() + ": run has " + (theirs == null ? "nothing" : "\"" + theirs + "\"")
                        + ", policy has \"" + e.getValue() + "\"");
            }
        }
        for (String key : other.keySet()) {
            if (!mine.containsKey(key)) {
                out.add(key + ": run has \"" + other.get(key) + "\", this version of ckpt has no such setting");
            }
        }
        return out;
    }
}

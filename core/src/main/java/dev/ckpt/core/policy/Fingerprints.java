package dev.ckpt.core.policy;

import java.util.LinkedHashMap;
import java.util.Map;

/** Encodes decision settings as {@code name=value} lines; values escape backslash and newline. */
final class Fingerprints {
    private Fingerprints() {
    }

    static String encode(Map<String, String> settings) {
        StringBuilder out = new StringBuilder();
        settings.forEach((k, v) -> out.append(k).append('=').append(escape(v)).append('\n'));
        return out.toString();
    }

    static Map<String, String> decode(String fingerprint) {
        Map<String, String> out = new LinkedHashMap<>();
        if (fingerprint == null) {
            return out;
        }
        for (String line : fingerprint.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                out.put(line.substring(0, eq), unescape(line.substring(eq + 1)));
            }
        }
        return out;
    }

    private static String escape(String v) {
        return v.replace("\\", "\\\\").replace("\n", "\\n");
    }

    private static String unescape(String v) {
        StringBuilder out = new StringBuilder(v.length());
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '\\' && i + 1 < v.length()) {
                char next = v.charAt(++i);
                out.append(next == 'n' ? '\n' : next);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}

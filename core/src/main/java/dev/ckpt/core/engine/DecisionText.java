package dev.ckpt.core.engine;

import java.util.Locale;

/** Text pieces shared by decision messages. */
final class DecisionText {
    private DecisionText() {
    }

    static String where(int epoch, Integer batch) {
        return batch == null ? "Epoch " + epoch : "Epoch " + epoch + ", batch " + batch;
    }

    static String number(Double value, boolean nullIsNone) {
        if (value == null) {
            return nullIsNone ? "none" : "nothing";
        }
        if (value.isNaN() || value.isInfinite()) {
            return value.toString();
        }
        return String.format(Locale.ROOT, "%.4f", value);
    }
}

package dev.ckpt.core.template;

/** Small helpers shared by the error messages. */
final class Messages {
    private Messages() {
    }

    /** The template in double quotes, as every message shows it. */
    static String quote(String template) {
        return "\"" + template + "\"";
    }
}

package dev.plinth.core;

/**
 * Text from outside (an agent's report, a Git commit message, a value quoted from YAML, an HTTP path) made safe to
 * put on one line of a log, a terminal or a table: control characters become visible escapes, so such text can
 * neither start a forged log line nor move the cursor. Everything else, backslashes included, stays as it was:
 * messages stay readable, and nobody can forge a line break by writing "\n" literally.
 */
public final class Printable {
    private Printable() {}

    /** {@code text} with control, line-separator and bidi-override characters escaped; null stays null. */
    public static String of(String text) {
        if (text == null || text.codePoints().noneMatch(Printable::unsafe)) {
            return text; // the common case allocates nothing
        }
        StringBuilder sb = new StringBuilder(text.length() + 16);
        text.codePoints().forEach(c -> {
            if (!unsafe(c)) {
                sb.appendCodePoint(c);
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c == '\t') {
                sb.append("\\t");
            } else {
                sb.append(String.format("\\u%04x", c));
            }
        });
        return sb.toString();
    }

    private static boolean unsafe(int c) {
        return Character.isISOControl(c) // C0, DEL, C1 (NEL included)
                || c == 0x2028 || c == 0x2029 // line and paragraph separators
                || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069); // bidi overrides: reorder a line
    }
}

package dev.plinth.runtime.cli;

import java.time.Duration;

/** Parses human durations: 500ms, 30s, 5m, 1h. */
final class Durations {
    private Durations() {}

    static Duration parse(String text) {
        String t = text.trim().toLowerCase();
        try {
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            long n = Long.parseLong(t.substring(0, t.length() - 1));
            return switch (t.charAt(t.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new IllegalArgumentException();
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("bad duration \"" + text + "\": expected e.g. 500ms, 30s, 5m, 1h");
        }
    }
}

package dev.plinth.http.server;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;

/**
 * Warnings a client can cause at will (bad requests), at most {@code perWindow} lines per window; the next line
 * after a window with suppressed ones says how many were dropped. Control characters from the request are escaped.
 */
public final class RateLimitedLog {
    private final Logger log;
    private final int perWindow;
    private final Duration window;
    private final Clock clock;
    private Instant windowStart = Instant.MIN;
    private int logged;
    private long suppressed;

    public RateLimitedLog(Logger log, int perWindow, Duration window, Clock clock) {
        this.log = log;
        this.perWindow = perWindow;
        this.window = window;
        this.clock = clock;
    }

    /** Logs {@code message} (one line, escaped) as a warning unless the window's quota is used up. */
    public synchronized void warn(String message) {
        Instant now = clock.instant();
        if (windowStart == Instant.MIN || !now.isBefore(windowStart.plus(window))) {
            if (suppressed > 0) {
                log.warn("{} similar warnings suppressed in the last {} s", suppressed, window.toSeconds());
            }
            windowStart = now;
            logged = 0;
            suppressed = 0;
        }
        if (logged < perWindow) {
            logged++;
            log.warn(escape(message));
        } else {
            suppressed++;
        }
    }

    /** One line, at most 300 characters, control characters as {@code \xNN}. */
    static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && b.length() < 300; i++) {
            char c = s.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}

package dev.plinth.http.server;

import java.time.Duration;

/**
 * What one client may hold of a listener: how long it may take to send a request's headers (from connecting, or
 * from its previous response), its body, how long a connection may sit with no traffic at all, and how many
 * connections the listener keeps at once (over the cap, new ones are closed at once).
 */
public record HttpLimits(Duration headerTimeout, Duration bodyTimeout, Duration idleTimeout, int maxConnections) {
    /** Requests here are small (forms, webhooks); image downloads are responses, bounded by the idle timeout only. */
    public static final HttpLimits DEFAULT = new HttpLimits(Duration.ofSeconds(10), Duration.ofSeconds(10),
            Duration.ofSeconds(60), 512);

    public HttpLimits {
        for (Duration d : new Duration[] {headerTimeout, bodyTimeout, idleTimeout}) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException("HTTP timeouts must be positive");
            }
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be at least 1");
        }
    }
}

package dev.plinth.driver.ipmi;

import java.time.Duration;

/**
 * Timing of an {@link IpmiClient}.
 *
 * @param responseTimeout    how long one datagram waits for its answer before it is sent again
 * @param retransmits        how many times a datagram is sent again (so {@code retransmits + 1} sends at most)
 * @param callTimeout        deadline of one client call, including waiting for the BMC lock, the rate limit,
 *                           opening a session and retries
 * @param minInterval        minimum time between the starts of two calls to the same BMC
 * @param maxAttempts        attempts of one call (on a fresh session each time after a failure)
 * @param backoff            wait before the second attempt; doubled for each further attempt
 * @param sessionIdleTimeout a session unused for this long is replaced before use (BMCs expire idle sessions,
 *                           typically after 60 s)
 */
public record IpmiClientConfig(Duration responseTimeout, int retransmits, Duration callTimeout, Duration minInterval,
                               int maxAttempts, Duration backoff, Duration sessionIdleTimeout) {
    public IpmiClientConfig {
        if (responseTimeout.isNegative() || responseTimeout.isZero() || retransmits < 0 || callTimeout.isZero()
                || callTimeout.isNegative() || minInterval.isNegative() || maxAttempts < 1 || backoff.isNegative()) {
            throw new IllegalArgumentException("invalid IPMI client timing: " + this);
        }
    }

    /** 1 s per datagram, 3 sends, 15 s per call, 20 ms between calls, 3 attempts, 200 ms backoff, 45 s idle. */
    public static IpmiClientConfig defaults() {
        return new IpmiClientConfig(Duration.ofSeconds(1), 2, Duration.ofSeconds(15), Duration.ofMillis(20), 3,
                Duration.ofMillis(200), Duration.ofSeconds(45));
    }

    public IpmiClientConfig withMinInterval(Duration d) {
        return new IpmiClientConfig(responseTimeout, retransmits, callTimeout, d, maxAttempts, backoff,
                sessionIdleTimeout);
    }

    public IpmiClientConfig withResponseTimeout(Duration d, int retransmitCount) {
        return new IpmiClientConfig(d, retransmitCount, callTimeout, minInterval, maxAttempts, backoff,
                sessionIdleTimeout);
    }

    public IpmiClientConfig withCallTimeout(Duration d) {
        return new IpmiClientConfig(responseTimeout, retransmits, d, minInterval, maxAttempts, backoff,
                sessionIdleTimeout);
    }

    public IpmiClientConfig withSessionIdleTimeout(Duration d) {
        return new IpmiClientConfig(responseTimeout, retransmits, callTimeout, minInterval, maxAttempts, backoff, d);
    }
}

package dev.plinth.driver.redfish;

import java.time.Duration;

/**
 * Timing of a {@link RedfishClient}.
 *
 * @param connectTimeout TCP (and TLS) connect
 * @param callTimeout    deadline of one client call, including waiting for the BMC lock, the rate limit, opening a
 *                       session and one re-authentication; BMCs are slow (a Reset may take seconds to answer)
 * @param minInterval    minimum time between the starts of two requests to the same BMC
 * @param taskTimeout    how long a task monitor (a 202 answer) is followed before the call counts as timed out
 * @param taskPoll       wait between two reads of a task monitor
 */
public record RedfishClientConfig(Duration connectTimeout, Duration callTimeout, Duration minInterval,
                                  Duration taskTimeout, Duration taskPoll) {
    public RedfishClientConfig {
        if (connectTimeout.isZero() || connectTimeout.isNegative() || callTimeout.isZero() || callTimeout.isNegative()
                || minInterval.isNegative() || taskTimeout.isNegative() || taskPoll.isZero() || taskPoll.isNegative()) {
            throw new IllegalArgumentException("invalid Redfish client timing: " + this);
        }
    }

    /** 5 s connect, 30 s per call, 20 ms between requests, tasks followed for 120 s every 500 ms. */
    public static RedfishClientConfig defaults() {
        return new RedfishClientConfig(Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofMillis(20),
                Duration.ofSeconds(120), Duration.ofMillis(500));
    }

    public RedfishClientConfig withMinInterval(Duration d) {
        return new RedfishClientConfig(connectTimeout, callTimeout, d, taskTimeout, taskPoll);
    }

    public RedfishClientConfig withCallTimeout(Duration d) {
        return new RedfishClientConfig(connectTimeout, d, minInterval, taskTimeout, taskPoll);
    }

    public RedfishClientConfig withConnectTimeout(Duration d) {
        return new RedfishClientConfig(d, callTimeout, minInterval, taskTimeout, taskPoll);
    }

    public RedfishClientConfig withTasks(Duration timeout, Duration poll) {
        return new RedfishClientConfig(connectTimeout, callTimeout, minInterval, timeout, poll);
    }
}

package dev.plinth.core;

import java.time.Duration;

/**
 * Timing policy of the lifecycle.
 *
 * @param stepAttempts attempts of one driver call (retryable failures) before the operation fails
 * @param stepBackoff first retry delay of a step; doubles per attempt up to {@code maxStepBackoff}
 * @param errorBackoff first delay before a failed operation is retried; doubles per failure up to {@code maxErrorBackoff}
 * @param writeTimeout how long the ramdisk may take from power-on to a verified image
 * @param checkInTimeout how long the written OS may take to boot and check in
 * @param driftInterval how often a settled node's power and boot device are read back
 * @param pollInterval how often a waiting step re-reads progress when no driver event wakes it
 */
public record LifecycleConfig(
        int stepAttempts,
        Duration stepBackoff,
        Duration maxStepBackoff,
        Duration errorBackoff,
        Duration maxErrorBackoff,
        Duration writeTimeout,
        Duration checkInTimeout,
        Duration driftInterval,
        Duration pollInterval) {

    public static final LifecycleConfig DEFAULT = new LifecycleConfig(5, Duration.ofSeconds(2),
            Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofMinutes(30), Duration.ofMinutes(30),
            Duration.ofMinutes(15), Duration.ofSeconds(60), Duration.ofSeconds(5));

    /** Delay before retry number {@code attempt} (1-based) of a step. */
    public Duration stepDelay(int attempt) {
        return exponential(stepBackoff, maxStepBackoff, attempt);
    }

    /** Delay before a failed operation is tried again after {@code errorCount} failures in a row. */
    public Duration errorDelay(int errorCount) {
        return exponential(errorBackoff, maxErrorBackoff, errorCount);
    }

    private static Duration exponential(Duration base, Duration max, int n) {
        long factor = 1L << Math.min(Math.max(n - 1, 0), 20);
        Duration d = base.multipliedBy(factor);
        return d.compareTo(max) > 0 ? max : d;
    }
}

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
 * @param bootTimeout how long a boot into the deploy ramdisk may stay silent (no report from the ramdisk) before it
 *     is made again; far shorter than {@code writeTimeout}, so a lost boot costs minutes, not the whole write timeout
 * @param shutdownTimeout how long a running OS asked to shut down (ACPI) may take before it is forced off
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
        Duration pollInterval,
        Duration bootTimeout,
        Duration shutdownTimeout) {

    /** The default boot timeout: firmware, iPXE, kernel and DHCP of a slow server take a few minutes at most. */
    public static final Duration DEFAULT_BOOT_TIMEOUT = Duration.ofMinutes(5);

    /** The default shutdown timeout, as Ironic's soft power off: an OS that takes longer is forced off. */
    public static final Duration DEFAULT_SHUTDOWN_TIMEOUT = Duration.ofSeconds(60);

    public static final LifecycleConfig DEFAULT = new LifecycleConfig(5, Duration.ofSeconds(2),
            Duration.ofSeconds(60), Duration.ofSeconds(30), Duration.ofMinutes(30), Duration.ofMinutes(30),
            Duration.ofMinutes(15), Duration.ofSeconds(60), Duration.ofSeconds(5), DEFAULT_BOOT_TIMEOUT,
            DEFAULT_SHUTDOWN_TIMEOUT);

    public LifecycleConfig {
        if (bootTimeout.compareTo(writeTimeout) > 0) {
            throw new IllegalArgumentException("bootTimeout " + bootTimeout + " is longer than writeTimeout "
                    + writeTimeout + ": a silent boot must be retried before the write times out");
        }
    }

    /** With the default shutdown timeout. */
    public LifecycleConfig(int stepAttempts, Duration stepBackoff, Duration maxStepBackoff, Duration errorBackoff,
            Duration maxErrorBackoff, Duration writeTimeout, Duration checkInTimeout, Duration driftInterval,
            Duration pollInterval, Duration bootTimeout) {
        this(stepAttempts, stepBackoff, maxStepBackoff, errorBackoff, maxErrorBackoff, writeTimeout, checkInTimeout,
                driftInterval, pollInterval, bootTimeout, DEFAULT_SHUTDOWN_TIMEOUT);
    }

    public LifecycleConfig withShutdownTimeout(Duration timeout) {
        return new LifecycleConfig(stepAttempts, stepBackoff, maxStepBackoff, errorBackoff, maxErrorBackoff,
                writeTimeout, checkInTimeout, driftInterval, pollInterval, bootTimeout, timeout);
    }

    /** Without a boot timeout: the default one, or the write timeout when that is shorter. */
    public LifecycleConfig(int stepAttempts, Duration stepBackoff, Duration maxStepBackoff, Duration errorBackoff,
            Duration maxErrorBackoff, Duration writeTimeout, Duration checkInTimeout, Duration driftInterval,
            Duration pollInterval) {
        this(stepAttempts, stepBackoff, maxStepBackoff, errorBackoff, maxErrorBackoff, writeTimeout, checkInTimeout,
                driftInterval, pollInterval,
                DEFAULT_BOOT_TIMEOUT.compareTo(writeTimeout) < 0 ? DEFAULT_BOOT_TIMEOUT : writeTimeout);
    }

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

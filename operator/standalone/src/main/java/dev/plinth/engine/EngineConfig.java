package dev.plinth.engine;

import dev.plinth.core.fleet.HealLimit;
import java.time.Duration;

/**
 * @param workers nodes reconciled at once (driver calls block, so this bounds concurrent BMC and agent calls)
 * @param maxStepsPerTurn transitions of one node before its worker moves on to others (fairness)
 * @param healLimit image-drift heals at once and per minute, fleet-wide
 */
public record EngineConfig(int workers, int maxStepsPerTurn, Duration maxWait, HealLimit healLimit) {
    public static final EngineConfig DEFAULT = new EngineConfig(16, 32, Duration.ofMinutes(5));

    public EngineConfig {
        healLimit = healLimit == null ? HealLimit.DEFAULT : healLimit;
    }

    /** With the default fleet-wide heal limit. */
    public EngineConfig(int workers, int maxStepsPerTurn, Duration maxWait) {
        this(workers, maxStepsPerTurn, maxWait, HealLimit.DEFAULT);
    }
}

package dev.plinth.engine;

import java.time.Duration;

/**
 * @param workers nodes reconciled at once (driver calls block, so this bounds concurrent BMC and agent calls)
 * @param maxStepsPerTurn transitions of one node before its worker moves on to others (fairness)
 */
public record EngineConfig(int workers, int maxStepsPerTurn, Duration maxWait) {
    public static final EngineConfig DEFAULT = new EngineConfig(16, 32, Duration.ofMinutes(5));
}

package dev.plinth.driver.fake;

import java.time.Duration;
import java.util.Set;

/**
 * Behaviour of the {@link FakeDriver}: how long things take and what fails.
 *
 * @param callLatency time every driver call takes (a BMC round trip)
 * @param deployDuration from ramdisk boot to a verified image
 * @param bootDuration from power-on of the written disk to its check-in
 * @param flakyCallRate share of power calls that fail once with UNREACHABLE (0..1), seeded so runs repeat
 * @param unreachableNodes nodes whose BMC never answers
 * @param wrongPasswordNodes nodes whose BMC rejects the credentials
 * @param corruptImages images whose deploy fails verification (a wrong checksum)
 * @param rebootLatency extra time a reboot call takes (a slow BMC, a power-cycle that waits for off); the machine
 *     acts halfway through it, so a controller killed inside the call may find the reboot done or not done
 */
public record FakeDriverConfig(
        Duration callLatency,
        Duration deployDuration,
        Duration bootDuration,
        double flakyCallRate,
        Set<String> unreachableNodes,
        Set<String> wrongPasswordNodes,
        Set<String> corruptImages,
        Duration rebootLatency) {

    public FakeDriverConfig {
        unreachableNodes = Set.copyOf(unreachableNodes);
        wrongPasswordNodes = Set.copyOf(wrongPasswordNodes);
        corruptImages = Set.copyOf(corruptImages);
        if (rebootLatency.isNegative()) {
            throw new IllegalArgumentException("rebootLatency " + rebootLatency + " is negative");
        }
    }

    /** Reboots as fast as any other call. */
    public FakeDriverConfig(Duration callLatency, Duration deployDuration, Duration bootDuration, double flakyCallRate,
            Set<String> unreachableNodes, Set<String> wrongPasswordNodes, Set<String> corruptImages) {
        this(callLatency, deployDuration, bootDuration, flakyCallRate, unreachableNodes, wrongPasswordNodes,
                corruptImages, Duration.ZERO);
    }

    /** The same, with reboot calls taking {@code latency} longer. */
    public FakeDriverConfig withRebootLatency(Duration latency) {
        return new FakeDriverConfig(callLatency, deployDuration, bootDuration, flakyCallRate, unreachableNodes,
                wrongPasswordNodes, corruptImages, latency);
    }

    public static FakeDriverConfig of(Duration callLatency, Duration deployDuration, Duration bootDuration) {
        return new FakeDriverConfig(callLatency, deployDuration, bootDuration, 0, Set.of(), Set.of(), Set.of());
    }

    public static final FakeDriverConfig INSTANT = of(Duration.ZERO, Duration.ZERO, Duration.ZERO);
}

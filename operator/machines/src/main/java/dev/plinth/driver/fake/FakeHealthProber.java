package dev.plinth.driver.fake;

import dev.plinth.api.HealthCheck;
import dev.plinth.driver.HealthProber;
import java.util.Optional;

/**
 * Health probes with the FAKE driver: a probe of a simulated machine (the host is its node name, the health check's
 * default) is answered by the simulation: it passes once the machine runs the OS of its disk, as a real machine's
 * sshd would answer. Any other host (a real service a test started) gets the real probe.
 */
public final class FakeHealthProber implements HealthProber {
    private final FakeDriver fake;
    private final HealthProber real;

    public FakeHealthProber(FakeDriver fake, HealthProber real) {
        this.fake = fake;
        this.real = real;
    }

    @Override
    public String probe(String host, HealthCheck check) {
        Optional<Boolean> running = fake.osRunning(host);
        if (running.isEmpty()) {
            return real.probe(host, check);
        }
        return running.get() ? null : "FAKE machine " + host + " is not running the OS of its disk";
    }
}

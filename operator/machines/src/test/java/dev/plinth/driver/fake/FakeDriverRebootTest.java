package dev.plinth.driver.fake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.BmcSpec;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.NodeTarget;
import dev.plinth.driver.NodeWaker;
import dev.plinth.driver.PowerState;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** A slow reboot call: the machine acts halfway, so a controller killed inside the call may find it done or not. */
class FakeDriverRebootTest {
    private final NodeTarget node = new NodeTarget("n1", BmcSpec.of("ipmi://10.0.0.1:623", "bmc-n1", false),
            new BmcCredentials("admin", "pw"), "52:54:00:00:00:01");

    @Test
    void aSlowRebootActsHalfwayThroughTheCall() throws Exception {
        FakeDriverConfig config = FakeDriverConfig.of(Duration.ZERO, Duration.ofSeconds(30), Duration.ofSeconds(30))
                .withRebootLatency(Duration.ofMillis(1200));
        try (FakeDriver fake = new FakeDriver(config, null, NodeWaker.NONE, Clock.systemUTC())) {
            long t0 = System.nanoTime();
            CompletableFuture<Void> call = CompletableFuture.runAsync(() -> {
                try {
                    fake.reboot(node);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(200);
            assertThat(call).isNotDone();
            assertThat(fake.powerState(node)).as("before the BMC acted").isEqualTo(PowerState.OFF);
            Thread.sleep(700);
            assertThat(call).as("the call is still in flight").isNotDone();
            assertThat(fake.powerState(node)).as("after the BMC acted").isEqualTo(PowerState.ON);
            call.get();
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(Duration.ofMillis(1200));
            assertThat(fake.journal()).filteredOn(l -> l.contains("power.reboot")).hasSize(1);
        }
    }
}

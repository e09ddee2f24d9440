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

    /** Like the agent: a network boot runs the deploy ramdisk only in a boot window, one boot per window. */
    @Test
    void aNetworkBootRunsTheRamdiskOnlyInABootWindowOncePerWindow() throws Exception {
        FakeDriverConfig config = FakeDriverConfig.of(Duration.ZERO, Duration.ofSeconds(30), Duration.ofSeconds(30));
        try (FakeDriver fake = new FakeDriver(config, null, NodeWaker.NONE, Clock.systemUTC())) {
            fake.start(node, new dev.plinth.driver.DeployRequest("d1", "web", new dev.plinth.api.DiskImageSpec(
                    "http://x/web.raw", "sha256:" + "a".repeat(64), dev.plinth.api.ImageFormat.RAW,
                    dev.plinth.api.Compression.NONE), null));
            fake.prepareDeployBoot(node, new dev.plinth.driver.DeployRequest("d1", "web",
                    new dev.plinth.api.DiskImageSpec("http://x/web.raw", "sha256:" + "a".repeat(64),
                            dev.plinth.api.ImageFormat.RAW, dev.plinth.api.Compression.NONE), null));
            fake.setBootDevice(node, dev.plinth.driver.BootDevice.PXE, false);
            fake.reboot(node);
            System.out.println("journal without a window: " + fake.journal());
            assertThat(fake.journal()).noneMatch(l -> l.contains("deploy.run"));

            fake.openDeployBootWindow(node);
            fake.setBootDevice(node, dev.plinth.driver.BootDevice.PXE, false);
            fake.reboot(node);
            assertThat(fake.journal()).filteredOn(l -> l.contains("deploy.run d1")).hasSize(1);
            // the window was claimed by that boot: another one gets no ramdisk
            fake.setBootDevice(node, dev.plinth.driver.BootDevice.PXE, false);
            fake.reboot(node);
            assertThat(fake.journal()).filteredOn(l -> l.contains("deploy.run d1")).hasSize(1);
        }
    }
}

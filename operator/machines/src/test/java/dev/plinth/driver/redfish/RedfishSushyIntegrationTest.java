package dev.plinth.driver.redfish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.plinth.api.BmcSpec;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.DriverException;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.NodeTarget;
import dev.plinth.driver.PowerState;
import dev.plinth.testkit.SushyFixture;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The driver against the unmodified sushy-emulator (fake system driver, Basic auth, plain http), cross-checked with
 * the sushy client library. The fake driver applies a power change 1-11 s after the request, as hardware would:
 * the tests wait for it rather than assume it.
 */
class RedfishSushyIntegrationTest {
    private static final Duration POWER_CHANGE = Duration.ofSeconds(20);
    private static SushyFixture bmc;
    private static RedfishPowerDriver driver;

    @BeforeAll
    static void start() throws Exception {
        bmc = SushyFixture.start(SushyFixture.Options.plain());
        driver = new RedfishPowerDriver(RedfishClientConfig.defaults().withMinInterval(Duration.ZERO), Tls.jdkDefault());
    }

    @AfterAll
    static void stop() throws Exception {
        if (driver != null) {
            driver.close();
        }
        if (bmc != null) {
            bmc.close();
        }
    }

    static NodeTarget node(String address, String password) {
        return new NodeTarget("node-1", BmcSpec.of(address, "bmc-secret", false),
                new BmcCredentials(SushyFixture.USER, password), "52:54:00:00:00:01");
    }

    @Test
    void powerOnOffRebootAndShutdownAsSushySeesThem() throws Exception {
        NodeTarget n = node(bmc.address(SushyFixture.SYSTEM_1), bmc.password());
        assertThat(bmc.sushyPower(SushyFixture.SYSTEM_1)).isEqualTo("off");
        assertThat(driver.powerState(n)).isEqualTo(PowerState.OFF);

        driver.powerOn(n);
        await().atMost(POWER_CHANGE).until(() -> bmc.sushyPower(SushyFixture.SYSTEM_1).equals("on"));
        assertThat(driver.powerState(n)).isEqualTo(PowerState.ON);
        driver.powerOn(n); // idempotent: already on, nothing sent
        assertThat(bmc.sushyPower(SushyFixture.SYSTEM_1)).isEqualTo("on");

        // a restart of a running machine: the fake driver shows Off at once, On again later
        driver.reboot(n);
        assertThat(bmc.log()).contains("power state set to \"ForceRestart\"");
        await().atMost(POWER_CHANGE).until(() -> bmc.sushyPower(SushyFixture.SYSTEM_1).equals("on"));

        driver.shutdown(n);
        assertThat(bmc.log()).contains("power state set to \"GracefulShutdown\"");
        await().atMost(POWER_CHANGE).until(() -> bmc.sushyPower(SushyFixture.SYSTEM_1).equals("off"));
        assertThat(driver.powerState(n)).isEqualTo(PowerState.OFF);

        // a reboot of a stopped machine powers it on
        driver.reboot(n);
        await().atMost(POWER_CHANGE).until(() -> bmc.sushyPower(SushyFixture.SYSTEM_1).equals("on"));
        driver.powerOff(n);
        assertThat(bmc.log()).contains("power state set to \"ForceOff\"");
        await().atMost(POWER_CHANGE).until(() -> driver.powerState(n) == PowerState.OFF);
        assertThat(bmc.sushyPower(SushyFixture.SYSTEM_1)).isEqualTo("off");

        // sushy-tools has no sessions: Basic auth, no session ever opened
        assertThat(driver.client(n).authMode()).isEqualTo("BASIC");
        assertThat(driver.client(n).sessionsOpened()).isZero();
    }

    @Test
    void bootOverrideAsSushySeesIt() throws Exception {
        NodeTarget n = node(bmc.address(SushyFixture.SYSTEM_2), bmc.password());
        driver.setBootDevice(n, BootDevice.PXE, false);
        assertThat(bmc.sushyBoot(SushyFixture.SYSTEM_2)).startsWith("Pxe ");
        assertThat(driver.bootDevice(n)).contains(BootDevice.PXE);

        driver.setBootDevice(n, BootDevice.DISK, true);
        assertThat(bmc.sushyBoot(SushyFixture.SYSTEM_2)).isEqualTo("Hdd Continuous UEFI");
        assertThat(driver.bootDevice(n)).contains(BootDevice.DISK);

        driver.setBootSource(n, BootSource.CD, false);
        assertThat(bmc.sushyBoot(SushyFixture.SYSTEM_2)).startsWith("Cd ");
        assertThat(driver.bootDevice(n)).isEmpty(); // neither PXE nor disk: nothing for the lifecycle to heal

        NodeTarget legacy = node(bmc.address(SushyFixture.SYSTEM_2) + "?bootMode=legacy", bmc.password());
        driver.setBootDevice(legacy, BootDevice.PXE, true);
        assertThat(bmc.sushyBoot(SushyFixture.SYSTEM_2)).isEqualTo("Pxe Continuous Legacy");
        NodeTarget uefi = node(bmc.address(SushyFixture.SYSTEM_2) + "?bootMode=UEFI", bmc.password());
        driver.setBootDevice(uefi, BootDevice.DISK, false);
        assertThat(bmc.sushyBoot(SushyFixture.SYSTEM_2)).endsWith(" UEFI").startsWith("Hdd ");

        // and the other way round: what sushy sets, the driver reads
        bmc.sushy("conn.get_system('/redfish/v1/Systems/" + SushyFixture.SYSTEM_2 + "').set_system_boot_options("
                + "sushy.BootSource.PXE, enabled=sushy.BootSourceOverrideEnabled.CONTINUOUS)");
        assertThat(driver.bootDevice(n)).contains(BootDevice.PXE);
    }

    @Test
    void wrongPasswordIsAnAuthenticationFailureWithoutThePassword() {
        String wrong = "not-" + bmc.password();
        NodeTarget n = node(bmc.address(SushyFixture.SYSTEM_1), wrong);
        DriverException e = catchThrowableOfType(DriverException.class, () -> driver.powerState(n));
        assertThat(e.kind()).isEqualTo(FailureKind.AUTHENTICATION);
        assertThat(e.getMessage()).contains("rejected the credentials of user admin").contains("HTTP 401")
                .doesNotContain(wrong).doesNotContain(bmc.password());
    }

    @Test
    void anUnknownSystemIdIsNamedWithTheSystemsTheBmcHas() {
        NodeTarget n = node(bmc.address("no-such-system"), bmc.password());
        DriverException e = catchThrowableOfType(DriverException.class, () -> driver.powerState(n));
        assertThat(e.kind()).isEqualTo(FailureKind.UNSUPPORTED);
        assertThat(e.getMessage()).contains("has no system no-such-system")
                .contains(SushyFixture.SYSTEM_1).contains(SushyFixture.SYSTEM_2);
    }

    @Test
    void anOperationTheSystemDoesNotOfferIsUnsupported() {
        NodeTarget n = node(bmc.address(SushyFixture.SYSTEM_1), bmc.password());
        DriverException e = catchThrowableOfType(DriverException.class, () -> driver.reset(n, "PushPowerButton"));
        assertThat(e.kind()).isEqualTo(FailureKind.UNSUPPORTED);
        assertThat(e.getMessage()).contains("does not offer ResetType PushPowerButton (offers On, ForceOff");
    }

    @Test
    void aBmcThatIsNotThereIsUnreachableQuickly() throws Exception {
        int closed = SushyFixture.freeTcpPort();
        NodeTarget n = node("redfish+http://127.0.0.1:" + closed + "/redfish/v1/Systems/1", bmc.password());
        long start = System.nanoTime();
        DriverException e = catchThrowableOfType(DriverException.class, () -> driver.powerState(n));
        assertThat(e.kind()).isEqualTo(FailureKind.UNREACHABLE);
        assertThat(e.getMessage()).contains("127.0.0.1:" + closed).contains("unreachable");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void callsToOneBmcAreSerialisedThroughOneClient() throws Exception {
        NodeTarget a = node(bmc.address(SushyFixture.SYSTEM_1), bmc.password());
        NodeTarget b = node(bmc.address(SushyFixture.SYSTEM_2), bmc.password());
        assertThat(driver.client(a)).isSameAs(driver.client(b));
        long before = driver.client(a).requests();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<PowerState>> results = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                NodeTarget t = i % 2 == 0 ? a : b;
                results.add(pool.submit((Callable<PowerState>) () -> driver.powerState(t)));
            }
            for (Future<PowerState> f : results) {
                assertThat(f.get()).isIn(PowerState.ON, PowerState.OFF);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(driver.client(a).requests() - before).isEqualTo(40);
    }

    @Test
    void aPacedClientKeepsItsRateLimit() throws Exception {
        try (RedfishPowerDriver paced = new RedfishPowerDriver(
                RedfishClientConfig.defaults().withMinInterval(Duration.ofMillis(100)), Tls.jdkDefault())) {
            NodeTarget n = node(bmc.address(SushyFixture.SYSTEM_1), bmc.password());
            paced.powerState(n); // the first request of a client also reads the service root
            long start = System.nanoTime();
            for (int i = 0; i < 5; i++) {
                paced.powerState(n);
            }
            // five starts at least 100 ms apart span at least 400 ms (the first may go at once)
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        }
    }
}

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
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The driver against sushy-emulator over https with a self-signed certificate, with the sessions, ETags and task
 * monitors real BMCs have (added around the unmodified emulator by the fixture's plinth_bmc.py).
 */
class RedfishBmcExtrasIntegrationTest {
    private static SushyFixture bmc;

    @BeforeAll
    static void start() throws Exception {
        bmc = SushyFixture.start(SushyFixture.Options.plain().withHttps().withBmcExtras());
    }

    @AfterAll
    static void stop() throws Exception {
        if (bmc != null) {
            bmc.close();
        }
    }

    private static RedfishClientConfig fast() {
        return RedfishClientConfig.defaults().withMinInterval(Duration.ZERO)
                .withTasks(Duration.ofSeconds(20), Duration.ofMillis(100));
    }

    private static NodeTarget node(String address, boolean insecure, String password) {
        return new NodeTarget("node-1", BmcSpec.of(address, "bmc-secret", insecure),
                new BmcCredentials(SushyFixture.USER, password), "52:54:00:00:00:01");
    }

    private static RedfishPowerDriver trusting() throws Exception {
        return new RedfishPowerDriver(fast(), Tls.trusting(bmc.certificate()));
    }

    @Test
    void aSelfSignedCertificateFailsVerificationUntilTrustedOrExempted() throws Exception {
        NodeTarget verified = node(bmc.address(SushyFixture.SYSTEM_1), false, bmc.password());
        try (RedfishPowerDriver jdkCas = new RedfishPowerDriver(fast(), Tls.jdkDefault())) {
            DriverException e = catchThrowableOfType(DriverException.class, () -> jdkCas.powerState(verified));
            assertThat(e.kind()).isEqualTo(FailureKind.PROTOCOL);
            assertThat(e.getMessage()).contains("TLS failed: its certificate is not trusted: self-signed")
                    .contains("disableCertificateVerification");

            // the opt-out, per node
            NodeTarget exempt = node(bmc.address(SushyFixture.SYSTEM_1), true, bmc.password());
            assertThat(jdkCas.powerState(exempt)).isIn(PowerState.ON, PowerState.OFF);
        }
        try (RedfishPowerDriver withCa = trusting()) {
            assertThat(withCa.powerState(verified)).isIn(PowerState.ON, PowerState.OFF);
            // trusted, but issued for 127.0.0.1, not localhost: the hostname check still applies
            NodeTarget otherName = node(bmc.address(SushyFixture.SYSTEM_1).replace("127.0.0.1", "localhost"), false,
                    bmc.password());
            DriverException e = catchThrowableOfType(DriverException.class, () -> withCa.powerState(otherName));
            assertThat(e.kind()).isEqualTo(FailureKind.PROTOCOL);
            assertThat(e.getMessage()).contains("its certificate does not name this host");
        }
    }

    @Test
    void oneSessionIsReusedAndRecreatedWhenTheBmcDropsIt() throws Exception {
        try (RedfishPowerDriver driver = trusting()) {
            NodeTarget n = node(bmc.address(SushyFixture.SYSTEM_2), false, bmc.password());
            Map<String, Integer> before = bmc.stats();
            for (int i = 0; i < 20; i++) {
                driver.powerState(n);
            }
            RedfishClient c = driver.client(n);
            assertThat(c.authMode()).isEqualTo("SESSION");
            assertThat(c.sessionsOpened()).isEqualTo(1);
            Map<String, Integer> after = bmc.stats();
            assertThat(after.get("sessionsCreated") - before.get("sessionsCreated")).isEqualTo(1);
            assertThat(after.get("tokenRequests") - before.get("tokenRequests")).isEqualTo(20);

            bmc.expireSessions(); // as a BMC whose session timed out, or that restarted
            assertThat(driver.powerState(n)).isIn(PowerState.ON, PowerState.OFF);
            assertThat(c.sessionsOpened()).isEqualTo(2);
            assertThat(bmc.stats().get("badTokens")).isGreaterThanOrEqualTo(1);

            driver.close(); // logs the session out
            assertThat(bmc.stats().get("sessionsDeleted")).isGreaterThanOrEqualTo(1);
        }
    }

    @Test
    void wrongPasswordWhenCreatingASessionIsAnAuthenticationFailure() throws Exception {
        try (RedfishPowerDriver driver = trusting()) {
            String wrong = bmc.password() + "x";
            NodeTarget n = node(bmc.address(SushyFixture.SYSTEM_1), false, wrong);
            DriverException e = catchThrowableOfType(DriverException.class, () -> driver.powerState(n));
            assertThat(e.kind()).isEqualTo(FailureKind.AUTHENTICATION);
            assertThat(e.getMessage()).contains("creating a session").doesNotContain(wrong);
        }
    }

    @Test
    void aNodeWithAWrongPasswordDoesNotDisturbTheSessionOfItsNeighbourOnTheSameBmc() throws Exception {
        try (RedfishPowerDriver driver = trusting()) {
            NodeTarget good = node(bmc.address(SushyFixture.SYSTEM_1), false, bmc.password());
            NodeTarget wrong = node(bmc.address(SushyFixture.SYSTEM_2), false, bmc.password() + "x");
            int created = bmc.stats().get("sessionsCreated");
            driver.powerState(good);
            RedfishClient client = driver.client(good);
            for (int i = 0; i < 3; i++) {
                DriverException e = catchThrowableOfType(DriverException.class, () -> driver.powerState(wrong));
                assertThat(e.kind()).isEqualTo(FailureKind.AUTHENTICATION);
                assertThat(driver.powerState(good)).isIn(PowerState.ON, PowerState.OFF);
            }
            // the same client and session throughout (it was replaced, and logged out, on every alternation)
            assertThat(driver.client(good)).isSameAs(client);
            assertThat(client.sessionsOpened()).isEqualTo(1);
            assertThat(bmc.stats().get("sessionsCreated") - created).isEqualTo(1);
        }
    }

    @Test
    void neitherPasswordNorSessionTokenReachesLogsMessagesOrToString() throws Exception {
        String secret = bmc.password();
        String wrong = secret + "x";
        java.util.List<String> texts = new java.util.ArrayList<>();
        ch.qos.logback.classic.Logger pkg = (ch.qos.logback.classic.Logger)
                org.slf4j.LoggerFactory.getLogger("dev.plinth.driver.redfish");
        ch.qos.logback.classic.Level oldLevel = pkg.getLevel();
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
                new ch.qos.logback.core.read.ListAppender<>();
        logs.start();
        pkg.addAppender(logs);
        pkg.setLevel(ch.qos.logback.classic.Level.TRACE);
        try (RedfishPowerDriver driver = trusting()) {
            for (String pw : java.util.List.of(wrong, secret)) {
                NodeTarget n = node(bmc.address(SushyFixture.SYSTEM_2), false, pw);
                texts.add(n.toString());
                try {
                    driver.powerState(n);
                    bmc.expireSessions(); // the next call logs the refused session and opens another
                    driver.setBootDevice(n, BootDevice.PXE, false);
                    texts.add(driver.systemResource(n).toString());
                    texts.add(driver.client(n).toString());
                } catch (DriverException e) {
                    for (Throwable t = e; t != null; t = t.getCause()) {
                        texts.add(t.toString());
                    }
                }
            }
            texts.add(driver.toString());
        } finally {
            pkg.detachAppender(logs);
            pkg.setLevel(oldLevel);
        }
        for (ch.qos.logback.classic.spi.ILoggingEvent ev : logs.list) {
            texts.add(ev.getFormattedMessage());
        }
        assertThat(logs.list).anyMatch(ev -> ev.getFormattedMessage().contains("session refused"));
        assertThat(texts).isNotEmpty().noneMatch(t -> t.contains(secret))
                // plinth_bmc.py's tokens are 32 hex digits
                .noneMatch(t -> t.matches("(?s).*\\b[0-9a-f]{32}\\b.*"));
    }

    @Test
    void bootOverrideSendsTheEtagItRead() throws Exception {
        try (RedfishPowerDriver driver = trusting()) {
            NodeTarget n = node(bmc.address(SushyFixture.SYSTEM_2), false, bmc.password());
            Map<String, Integer> before = bmc.stats();
            driver.setBootDevice(n, BootDevice.PXE, true);
            driver.setBootDevice(n, BootDevice.DISK, false);
            Map<String, Integer> after = bmc.stats();
            assertThat(after.get("ifMatchOk") - before.get("ifMatchOk")).isEqualTo(2);
            assertThat(after.get("ifMatchMissing")).isEqualTo(before.get("ifMatchMissing"));
            assertThat(bmc.sushyBoot(SushyFixture.SYSTEM_2)).startsWith("Hdd ");
        }
    }

    @Test
    void aResetAnsweredWithATaskIsFollowedToItsEnd() throws Exception {
        try (RedfishPowerDriver driver = trusting()) {
            NodeTarget n = node(bmc.address(SushyFixture.SYSTEM_1), false, bmc.password());
            driver.powerOff(n);
            await().atMost(Duration.ofSeconds(20)).until(() -> driver.powerState(n) == PowerState.OFF);
            int tasks = bmc.stats().get("tasks");
            long start = System.nanoTime();
            driver.powerOn(n);
            // the task monitor runs one second: the call returns when it is done, not at the 202
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(900));
            assertThat(bmc.stats().get("tasks")).isEqualTo(tasks + 1);
            await().atMost(Duration.ofSeconds(20)).until(() -> bmc.sushyPower(SushyFixture.SYSTEM_1).equals("on"));

            // a task that ends in an exception is a failure naming the BMC's message
            DriverException e = catchThrowableOfType(DriverException.class, () -> driver.reset(n, "Nmi"));
            assertThat(e.kind()).isEqualTo(FailureKind.PROTOCOL);
            assertThat(e.getMessage()).contains("ComputerSystem.Reset Nmi failed (task").contains("Exception")
                    .contains("not supported");
        }
    }
}

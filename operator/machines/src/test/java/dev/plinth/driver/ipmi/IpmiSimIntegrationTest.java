package dev.plinth.driver.ipmi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.plinth.api.BmcSpec;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.DriverException;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.NodeTarget;
import dev.plinth.driver.PowerState;
import dev.plinth.driver.SchemePowerDriver;
import dev.plinth.testkit.IpmiSimFixture;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The client and driver against a real IPMI v2.0 peer: OpenIPMI's ipmi_sim, cross-checked with ipmitool. */
class IpmiSimIntegrationTest {
    private static IpmiSimFixture sim;

    @BeforeAll
    static void startSim() throws Exception {
        sim = IpmiSimFixture.start();
    }

    @AfterAll
    static void stopSim() throws Exception {
        if (sim != null) {
            sim.close();
        }
    }

    private static IpmiClientConfig fast() {
        return IpmiClientConfig.defaults().withMinInterval(Duration.ZERO);
    }

    private static IpmiClient client(String password) {
        return new IpmiClient(sim.host(), sim.port(), sim.user(), password, fast());
    }

    private static NodeTarget node(String address, String password) {
        return new NodeTarget("node-1", BmcSpec.of(address, "bmc-secret", false),
                new BmcCredentials(IpmiSimFixture.USER, password), "52:54:00:00:00:01");
    }

    @Test
    void openSessionAndPowerStatusAgreeWithIpmitool() throws Exception {
        try (IpmiClient c = client(sim.password())) {
            c.chassisControl(ChassisControl.POWER_DOWN);
            assertThat(c.powerOn()).isFalse();
            assertThat(sim.ipmitoolPower()).isEqualTo("off");
            assertThat(sim.ipmitool("chassis", "power", "on").exitCode()).isZero();
            assertThat(c.powerOn()).isTrue();
            assertThat(c.sessionsOpened()).isEqualTo(1);
        }
    }

    @Test
    void powerOnOffCycleAsIpmitoolSeesIt() throws Exception {
        try (IpmiPowerDriver driver = new IpmiPowerDriver(fast(), false)) {
            NodeTarget n = node(sim.address(), sim.password());
            driver.powerOff(n);
            assertThat(sim.ipmitoolPower()).isEqualTo("off");
            assertThat(driver.powerState(n)).isEqualTo(PowerState.OFF);

            driver.powerOn(n);
            assertThat(sim.ipmitoolPower()).isEqualTo("on");
            assertThat(driver.powerState(n)).isEqualTo(PowerState.ON);
            driver.powerOn(n); // idempotent
            assertThat(sim.ipmitoolPower()).isEqualTo("on");

            // reboot of a running machine = power cycle: off now, on again after ipmi_sim's 1 s delay
            int before = sim.calls().size();
            driver.reboot(n);
            assertThat(sim.calls().subList(before, sim.calls().size())).contains("set power 0");
            await().atMost(Duration.ofSeconds(5)).until(() -> sim.ipmitoolPower().equals("on"));
            assertThat(sim.calls().subList(before, sim.calls().size())).contains("set power 0", "set power 1");

            // reboot of a stopped machine = power on
            driver.powerOff(n);
            assertThat(sim.ipmitoolPower()).isEqualTo("off");
            driver.reboot(n);
            assertThat(sim.ipmitoolPower()).isEqualTo("on");

            IpmiClient c = driver.client(n);
            c.chassisControl(ChassisControl.HARD_RESET);
            assertThat(sim.calls()).contains("set reset 1");
            c.chassisControl(ChassisControl.SOFT_OFF);
            assertThat(sim.calls()).contains("set shutdown 1");
            assertThat(sim.ipmitoolPower()).isEqualTo("off");

            // the port's graceful shutdown: soft off when on (ipmi_sim's "set shutdown"), nothing when off
            driver.powerOn(n);
            int beforeShutdown = sim.calls().size();
            driver.shutdown(n);
            assertThat(sim.calls().subList(beforeShutdown, sim.calls().size())).contains("set shutdown 1");
            assertThat(sim.ipmitoolPower()).isEqualTo("off");
            int whenOff = sim.calls().size();
            driver.shutdown(n);
            assertThat(sim.calls().subList(whenOff, sim.calls().size())).doesNotContain("set shutdown 1");
            assertThat(c.sessionsOpened()).isEqualTo(1);
        }
    }

    @Test
    void bootDeviceAgreesWithIpmitoolBootparam() throws Exception {
        try (IpmiPowerDriver driver = new IpmiPowerDriver(fast(), false)) {
            NodeTarget n = node(sim.address(), sim.password());
            driver.setBootDevice(n, BootDevice.PXE, false);
            assertThat(sim.ipmitoolBootDevice()).isEqualTo("Force PXE");
            assertThat(sim.bootFile()).isEqualTo("pxe");
            assertThat(driver.bootFlags(n).device()).isEqualTo(BootFlags.Selector.PXE);

            driver.setBootDevice(n, BootDevice.DISK, true);
            assertThat(sim.ipmitoolBootDevice()).isEqualTo("Force Boot from default Hard-Drive");
            assertThat(sim.bootFile()).isEqualTo("default");
            assertThat(driver.bootFlags(n).device()).isEqualTo(BootFlags.Selector.DISK);

            // and the other way round: what ipmitool sets, the client reads
            assertThat(sim.ipmitool("chassis", "bootdev", "pxe").exitCode()).isZero();
            assertThat(driver.bootFlags(n).device()).isEqualTo(BootFlags.Selector.PXE);

            NodeTarget efi = node(sim.address() + "?bootMode=uefi", sim.password());
            driver.setBootDevice(efi, BootDevice.DISK, false);
            assertThat(sim.ipmitoolBootDevice()).isEqualTo("Force Boot from default Hard-Drive");
        }
    }

    @Test
    void wrongPasswordIsAuthenticationFailureWithoutRetries() {
        long start = System.nanoTime();
        try (IpmiClient c = client("not-" + sim.password().substring(4))) {
            IpmiException e = catchThrowableOfType(IpmiException.class, c::chassisStatus);
            assertThat(e.kind()).isEqualTo(FailureKind.AUTHENTICATION);
            assertThat(e.getMessage()).startsWith("BMC 127.0.0.1:" + sim.port() + " rejected the credentials (RAKP");
            assertThat(c.sessionsOpened()).isZero();
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void unknownUserIsAuthenticationFailure() {
        try (IpmiClient c = new IpmiClient(sim.host(), sim.port(), "nobody", sim.password(), fast())) {
            IpmiException e = catchThrowableOfType(IpmiException.class, c::chassisStatus);
            assertThat(e.kind()).isEqualTo(FailureKind.AUTHENTICATION);
            assertThat(e.getMessage()).contains("rejected the credentials");
        }
    }

    @Test
    void driverReplacesClientWhenCredentialsChange() throws Exception {
        try (IpmiPowerDriver driver = new IpmiPowerDriver(fast(), false)) {
            NodeTarget old = node(sim.address(), "old-password");
            IpmiClient first = driver.client(old);
            assertThat(driver.client(old)).isSameAs(first);
            NodeTarget rotated = node(sim.address(), sim.password());
            IpmiClient second = driver.client(rotated);
            assertThat(second).isNotSameAs(first);
            assertThat(driver.powerState(rotated)).isIn(PowerState.ON, PowerState.OFF);
            assertThat(catchThrowableOfType(IpmiException.class, first::chassisStatus).getMessage())
                    .contains("client closed");
            // a bad port never reaches a driver: the address is refused where it is parsed
            assertThatThrownBy(() -> node("ipmi://127.0.0.1:70000", sim.password()))
                    .hasMessageContaining("port 70000");
            // an option the loader would refuse (only old stored state can carry one) is not retried
            DriverException bad = catchThrowableOfType(DriverException.class,
                    () -> driver.powerState(node(sim.address() + "?bootMode=pxe", sim.password())));
            assertThat(bad.kind()).isEqualTo(FailureKind.UNSUPPORTED);
            assertThat(bad.kind().retryable()).isFalse();
            assertThat(bad.getMessage()).contains("unsupported bootMode \"pxe\": expected uefi or legacy");
        }
    }

    @Test
    void theSchemeIsCaseInsensitiveAllTheWayToTheBmc() throws Exception {
        try (IpmiPowerDriver driver = new IpmiPowerDriver(fast(), false)) {
            SchemePowerDriver power = new SchemePowerDriver(Map.of("ipmi", driver));
            NodeTarget upper = node(sim.address().replace("ipmi://", "IPMI://"), sim.password());
            assertThat(power.powerState(upper).name().toLowerCase()).isEqualTo(sim.ipmitoolPower());
        }
    }

    @Test
    void closedPortIsUnreachableOrTimeout() throws Exception {
        int closed = IpmiSimFixture.freeUdpPort();
        try (IpmiPowerDriver driver = new IpmiPowerDriver(fast(), false)) {
            DriverException e = catchThrowableOfType(DriverException.class,
                    () -> driver.powerState(node("ipmi://127.0.0.1:" + closed, "whatever")));
            assertThat(e.kind()).isIn(FailureKind.UNREACHABLE, FailureKind.TIMEOUT);
            assertThat(e.getMessage()).contains("127.0.0.1:" + closed);
        }
    }

    @Test
    void silentPeerIsUnreachableOrTimeout() throws Exception {
        try (DatagramSocket blackHole = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             IpmiClient c = new IpmiClient("127.0.0.1", blackHole.getLocalPort(), "admin", "x",
                     fast().withResponseTimeout(Duration.ofMillis(300), 2))) {
            IpmiException e = catchThrowableOfType(IpmiException.class, c::chassisStatus);
            assertThat(e.kind()).isIn(FailureKind.UNREACHABLE, FailureKind.TIMEOUT);
            assertThat(e.getMessage()).contains("did not answer");
        }
    }

    @Test
    void manyCallsShareOneSession() throws Exception {
        try (IpmiClient c = client(sim.password())) {
            for (int i = 0; i < 40; i++) {
                c.chassisStatus();
            }
            c.setBootFlags(BootFlags.of(BootFlags.Selector.PXE, false, false));
            c.bootFlags();
            assertThat(c.sessionsOpened()).isEqualTo(1);
            assertThat(c.callsSucceeded()).isEqualTo(42);
        }
    }

    /** ipmi_sim holds at most 63 sessions; a client that did not close its session would exhaust them. */
    @Test
    void closeFreesTheSessionOnTheBmc() throws Exception {
        for (int i = 0; i < 80; i++) {
            try (IpmiClient c = client(sim.password())) {
                c.chassisStatus();
            }
        }
        try (IpmiClient c = client(sim.password())) {
            c.chassisStatus();
        }
    }

    /** The console tells the BMC when RAKP 2 does not verify, so failed logins do not pile up half-open sessions. */
    @Test
    void failedLoginsDoNotExhaustBmcSessions() throws Exception {
        for (int i = 0; i < 70; i++) {
            try (IpmiClient c = client("wrong")) {
                assertThat(catchThrowableOfType(IpmiException.class, c::chassisStatus).kind())
                        .isEqualTo(FailureKind.AUTHENTICATION);
            }
        }
        try (IpmiClient c = client(sim.password())) {
            c.chassisStatus();
        }
    }

    @Test
    void idleSessionIsReplaced() throws Exception {
        try (IpmiClient c = new IpmiClient(sim.host(), sim.port(), sim.user(), sim.password(),
                fast().withSessionIdleTimeout(Duration.ofMillis(100)))) {
            c.chassisStatus();
            Thread.sleep(250);
            c.chassisStatus();
            assertThat(c.sessionsOpened()).isEqualTo(2);
        }
    }

    @Test
    void lostSessionIsReopened() throws Exception {
        try (IpmiSimFixture own = IpmiSimFixture.start();
             IpmiClient c = new IpmiClient(own.host(), own.port(), own.user(), own.password(),
                     fast().withResponseTimeout(Duration.ofMillis(300), 1))) {
            c.chassisStatus();
            own.restart(); // the BMC forgets every session
            c.chassisStatus();
            assertThat(c.sessionsOpened()).isEqualTo(2);
        }
    }

    @Test
    void concurrentCallsToOneBmcAreSerialised() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try (IpmiClient c = client(sim.password())) {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                Callable<Boolean> task = () -> {
                    for (int i = 0; i < 15; i++) {
                        c.chassisStatus();
                    }
                    return true;
                };
                results.add(pool.submit(task));
            }
            for (Future<Boolean> f : results) {
                assertThat(f.get(60, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(c.callsSucceeded()).isEqualTo(90);
            assertThat(c.sessionsOpened()).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void neverTwoRequestsInFlightToOneBmc() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try (MischiefProxy proxy = new MischiefProxy(new InetSocketAddress("127.0.0.1", sim.port()));
             IpmiClient c = new IpmiClient("127.0.0.1", proxy.port(), sim.user(), sim.password(), fast())) {
            List<Future<?>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 10; i++) {
                        c.chassisStatus();
                    }
                    return null;
                }));
            }
            for (Future<?> f : results) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertThat(c.callsSucceeded()).isEqualTo(40);
            assertThat(proxy.maxInFlight).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void rateLimitSpacesCalls() throws Exception {
        try (IpmiClient c = new IpmiClient(sim.host(), sim.port(), sim.user(), sim.password(),
                IpmiClientConfig.defaults().withMinInterval(Duration.ofMillis(100)))) {
            c.chassisStatus(); // opens the session
            long start = System.nanoTime();
            for (int i = 0; i < 5; i++) {
                c.chassisStatus(); // the first waits for what is left of 100 ms, each later one a full 100 ms
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
        }
    }

    @Test
    void strayStaleAndDuplicateDatagramsAreIgnored() throws Exception {
        try (MischiefProxy proxy = new MischiefProxy(new InetSocketAddress("127.0.0.1", sim.port()));
             IpmiClient c = new IpmiClient("127.0.0.1", proxy.port(), sim.user(), sim.password(), fast())) {
            for (int i = 0; i < 20; i++) {
                c.chassisStatus();
            }
            c.setBootFlags(BootFlags.of(BootFlags.Selector.DISK, false, false));
            assertThat(c.bootFlags().device()).isEqualTo(BootFlags.Selector.DISK);
            assertThat(c.sessionsOpened()).isEqualTo(1);
            assertThat(proxy.mischief).isGreaterThan(40);
        }
    }

    @Test
    void passwordNeverAppearsInMessagesOrToString() throws Exception {
        String secret = sim.password();
        String wrong = "Wr0ng" + secret.substring(5);
        List<String> texts = new ArrayList<>();
        // Capture this package's log output at TRACE, the most talkative level.
        ch.qos.logback.classic.Logger pkg = (ch.qos.logback.classic.Logger)
                org.slf4j.LoggerFactory.getLogger("dev.plinth.driver.ipmi");
        ch.qos.logback.classic.Level oldLevel = pkg.getLevel();
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> logs =
                new ch.qos.logback.core.read.ListAppender<>();
        logs.start();
        pkg.addAppender(logs);
        pkg.setLevel(ch.qos.logback.classic.Level.TRACE);
        try (IpmiPowerDriver driver = new IpmiPowerDriver(fast().withResponseTimeout(Duration.ofMillis(200), 1),
                false)) {
            for (String pw : List.of(wrong, secret)) {
                for (String addr : List.of(sim.address(), "ipmi://127.0.0.1:" + IpmiSimFixture.freeUdpPort(),
                        "bogus://127.0.0.1")) {
                    NodeTarget n = node(addr, pw);
                    texts.add(n.toString());
                    try {
                        driver.powerState(n);
                        driver.setBootDevice(n, BootDevice.PXE, false);
                        texts.add(driver.client(n).toString());
                    } catch (DriverException e) {
                        for (Throwable t = e; t != null; t = t.getCause()) {
                            texts.add(t.toString());
                        }
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
            if (ev.getThrowableProxy() != null) {
                texts.add(ev.getThrowableProxy().getMessage());
            }
        }
        assertThat(logs.list).isNotEmpty();
        assertThat(texts).hasSizeGreaterThan(8);
        for (String t : texts) {
            assertThat(t).doesNotContain(secret).doesNotContain(wrong);
        }
        assertThat(String.join("\n", texts)).contains("rejected the credentials");
    }

    /**
     * A UDP relay between the client and ipmi_sim that, before each real reply, sends a junk datagram and a copy of
     * the previous reply (stale: old sequence numbers), and after it, a duplicate of the reply.
     */
    static final class MischiefProxy implements AutoCloseable {
        private final DatagramSocket socket;
        private final SocketAddress bmc;
        private final Thread thread;
        volatile int mischief;
        /** Most client datagrams seen in a row without a BMC reply in between: 1 when calls are serialised. */
        volatile int maxInFlight;
        private int inFlight;

        MischiefProxy(SocketAddress bmc) throws Exception {
            this.bmc = bmc;
            this.socket = new DatagramSocket(0, InetAddress.getLoopbackAddress());
            this.thread = new Thread(this::run, "mischief-proxy");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        private void run() {
            byte[] buf = new byte[2048];
            SocketAddress client = null;
            byte[] previous = null;
            try {
                while (!socket.isClosed()) {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    socket.receive(p);
                    byte[] data = java.util.Arrays.copyOf(p.getData(), p.getLength());
                    if (p.getSocketAddress().equals(bmc)) {
                        if (client == null) {
                            continue;
                        }
                        byte[] junk = "not ipmi at all".getBytes(StandardCharsets.US_ASCII);
                        socket.send(new DatagramPacket(junk, junk.length, client));
                        if (previous != null) {
                            socket.send(new DatagramPacket(previous, previous.length, client));
                        }
                        inFlight = 0;
                        socket.send(new DatagramPacket(data, data.length, client));
                        socket.send(new DatagramPacket(data, data.length, client));
                        mischief += 2;
                        previous = data;
                    } else {
                        client = p.getSocketAddress();
                        maxInFlight = Math.max(maxInFlight, ++inFlight);
                        socket.send(new DatagramPacket(data, data.length, bmc));
                    }
                }
            } catch (Exception e) {
                // closed
            }
        }

        @Override
        public void close() throws Exception {
            socket.close();
            thread.join(2000);
        }
    }
}

package dev.plinth.bench;

import dev.plinth.api.BmcSpec;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.NodeTarget;
import dev.plinth.driver.redfish.RedfishClientConfig;
import dev.plinth.driver.redfish.RedfishPowerDriver;
import dev.plinth.driver.redfish.Tls;
import dev.plinth.testkit.SushyFixture;
import java.time.Duration;
import java.util.Arrays;

/**
 * Redfish power-state reads per second against sushy-emulator (fake system driver, on loopback): Plinth's driver
 * with one reused session, the same with Basic auth against the unmodified emulator, and the {@code sushy} Python
 * client doing the same reads in one Python process. Run with bench/redfish-bench.sh. Arguments: [seconds per row].
 */
public final class RedfishBench {
    private RedfishBench() {}

    public static void main(String[] args) throws Exception {
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.INFO);
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        RedfishClientConfig noPacing = RedfishClientConfig.defaults().withMinInterval(Duration.ZERO);
        System.out.printf("%d cores; sushy-emulator (Flask development server, threaded) on loopback%n",
                Runtime.getRuntime().availableProcessors());
        try (SushyFixture bmc = SushyFixture.start(SushyFixture.Options.plain().withBmcExtras())) {
            System.out.println("emulator with sessions (plinth_bmc.py around sushy-emulator):");
            try (RedfishPowerDriver driver = new RedfishPowerDriver(noPacing, Tls.jdkDefault())) {
                NodeTarget n = node(bmc, bmc.address(SushyFixture.SYSTEM_1));
                measure("java driver, one reused session, no rate limit", seconds, () -> driver.powerState(n));
                System.out.printf("  (auth %s, sessions opened: %d)%n", driver.client(n).authMode(),
                        driver.client(n).sessionsOpened());
            }
            try (RedfishPowerDriver driver = new RedfishPowerDriver(RedfishClientConfig.defaults(), Tls.jdkDefault())) {
                NodeTarget n = node(bmc, bmc.address(SushyFixture.SYSTEM_1));
                measure("java driver, reused session, default 20 ms min interval", seconds,
                        () -> driver.powerState(n));
            }
            System.out.println("  " + python(bmc, seconds, true, "sushy client, session (SessionOrBasicAuth)"));
        }
        try (SushyFixture bmc = SushyFixture.start(SushyFixture.Options.plain())) {
            System.out.println("unmodified sushy-emulator (Basic auth only):");
            try (RedfishPowerDriver driver = new RedfishPowerDriver(noPacing, Tls.jdkDefault())) {
                NodeTarget n = node(bmc, bmc.address(SushyFixture.SYSTEM_1));
                measure("java driver, Basic auth, no rate limit", seconds, () -> driver.powerState(n));
            }
            System.out.println("  " + python(bmc, seconds, false, "sushy client, Basic auth"));
        }
    }

    private static NodeTarget node(SushyFixture bmc, String address) {
        return new NodeTarget("bench", BmcSpec.of(address, "bmc", false),
                new BmcCredentials(bmc.user(), bmc.password()), "52:54:00:00:00:01");
    }

    /** The same reads from Python: get_system(...).power_state in a loop, timed per call. */
    private static String python(SushyFixture bmc, double seconds, boolean defaultAuth, String name) throws Exception {
        String snippet = String.join("\n",
                "import time, statistics",
                "path = '/redfish/v1/Systems/" + SushyFixture.SYSTEM_1 + "'",
                "for _ in range(20): conn.get_system(path).power_state",
                "lat = []",
                "end = time.perf_counter() + " + seconds,
                "start = time.perf_counter()",
                "while time.perf_counter() < end:",
                "    t = time.perf_counter(); conn.get_system(path).power_state; lat.append(time.perf_counter() - t)",
                "el = time.perf_counter() - start",
                "lat.sort()",
                "print('%-58s %9.1f calls/s  median %.2f ms  p99 %.2f ms' % ('" + name + "', len(lat) / el,"
                        + " 1000 * lat[len(lat) // 2], 1000 * lat[int(len(lat) * 0.99)]))");
        return defaultAuth ? bmc.sushyDefaultAuth(snippet) : bmc.sushy(snippet);
    }

    @FunctionalInterface
    interface Call {
        void run() throws Exception;
    }

    private static void measure(String name, double seconds, Call call) throws Exception {
        for (int i = 0; i < 20; i++) { // warm-up
            call.run();
        }
        long[] lat = new long[1 << 20];
        int n = 0;
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        while (System.nanoTime() < end && n < lat.length) {
            long t = System.nanoTime();
            call.run();
            lat[n++] = System.nanoTime() - t;
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        long[] sorted = Arrays.copyOf(lat, n);
        Arrays.sort(sorted);
        System.out.printf("  %-58s %9.1f calls/s  median %.2f ms  p99 %.2f ms%n", name, n / elapsed,
                sorted[n / 2] / 1e6, sorted[(int) (n * 0.99)] / 1e6);
    }
}

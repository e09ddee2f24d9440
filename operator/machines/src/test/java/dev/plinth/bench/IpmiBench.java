package dev.plinth.bench;

import dev.plinth.driver.ipmi.IpmiClient;
import dev.plinth.driver.ipmi.IpmiClientConfig;
import dev.plinth.testkit.IpmiSimFixture;
import java.time.Duration;
import java.util.Arrays;

/**
 * Power-status calls per second against ipmi_sim: the Java client with one reused session, the Java client with a
 * new session per call, and ipmitool forked per call (how Ironic drives IPMI). Run with bench/ipmi-bench.sh.
 * Arguments: [seconds per measurement, default 5].
 */
public final class IpmiBench {
    private IpmiBench() {}

    @FunctionalInterface
    interface Call {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                .setLevel(ch.qos.logback.classic.Level.INFO);
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 5;
        if (!IpmiSimFixture.onPath("ipmi_sim") || !IpmiSimFixture.onPath("ipmitool")) {
            System.err.println("needs ipmi_sim and ipmitool: apt-get install openipmi ipmitool");
            System.exit(2);
        }
        try (IpmiSimFixture sim = IpmiSimFixture.start(false)) {
            System.out.printf("ipmi_sim on 127.0.0.1:%d without chassis-control program (no fork per query)%n",
                    sim.port());
            IpmiClientConfig noPacing = IpmiClientConfig.defaults().withMinInterval(Duration.ZERO);
            try (IpmiClient c = new IpmiClient(sim.host(), sim.port(), sim.user(), sim.password(), noPacing)) {
                measure("java, reused session, no rate limit", seconds, c::chassisStatus);
                System.out.printf("  (sessions opened: %d)%n", c.sessionsOpened());
            }
            measure("java, new session per call", seconds, () -> {
                try (IpmiClient c = new IpmiClient(sim.host(), sim.port(), sim.user(), sim.password(), noPacing)) {
                    c.chassisStatus();
                }
            });
            measure("ipmitool -I lanplus -C 3, forked per call", seconds, () -> {
                if (sim.ipmitool("chassis", "power", "status").exitCode() != 0) {
                    throw new IllegalStateException("ipmitool failed");
                }
            });
        }
        try (IpmiSimFixture sim = IpmiSimFixture.start()) {
            System.out.printf("ipmi_sim on 127.0.0.1:%d (chassis-control script forked per status query), %d cores%n",
                    sim.port(), Runtime.getRuntime().availableProcessors());
            IpmiClientConfig noPacing = IpmiClientConfig.defaults().withMinInterval(Duration.ZERO);
            try (IpmiClient c = new IpmiClient(sim.host(), sim.port(), sim.user(), sim.password(), noPacing)) {
                measure("java, reused session, no rate limit", seconds, c::chassisStatus);
                System.out.printf("  (sessions opened: %d)%n", c.sessionsOpened());
            }
            try (IpmiClient c = new IpmiClient(sim.host(), sim.port(), sim.user(), sim.password(),
                    IpmiClientConfig.defaults())) {
                measure("java, reused session, default 20 ms min interval", seconds, c::chassisStatus);
            }
            measure("java, new session per call", seconds, () -> {
                try (IpmiClient c = new IpmiClient(sim.host(), sim.port(), sim.user(), sim.password(), noPacing)) {
                    c.chassisStatus();
                }
            });
            measure("ipmitool -I lanplus -C 3, forked per call", seconds, () -> {
                if (sim.ipmitool("chassis", "power", "status").exitCode() != 0) {
                    throw new IllegalStateException("ipmitool failed");
                }
            });
        }
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
        System.out.printf("%-50s %8.1f calls/s  median %6.2f ms  p99 %6.2f ms  (%d calls)%n", name, n / elapsed,
                sorted[n / 2] / 1e6, sorted[Math.min(n - 1, (int) (n * 0.99))] / 1e6, n);
    }
}

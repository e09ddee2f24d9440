package dev.plinth.kubernetes;

import dev.plinth.core.LifecycleConfig;
import dev.plinth.driver.fake.FakeDriverConfig;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's entry point in a pod (the Helm chart's Deployment). Configured by environment, as the chart sets
 * it: {@code PLINTH_DRIVER} ({@code fake}, the default, or {@code ipmi}: real machines, configured
 * as {@link MetalConfig} says), {@code PLINTH_WORKERS}, and leader election with
 * {@code PLINTH_LEADER_ELECTION=true}, {@code POD_NAMESPACE} and {@code POD_NAME}; the client's rate limit toward
 * the API server with {@code PLINTH_API_QPS} (default 50) and {@code PLINTH_API_BURST} (default 100); the GitSource
 * webhook listener with {@code PLINTH_WEBHOOK_LISTEN} (default {@code 0.0.0.0:8082}, {@code off} for none); how
 * long a running OS asked to shut down may take before it is forced off with {@code PLINTH_SHUTDOWN_TIMEOUT_SECONDS}
 * (default 60, standalone's {@code --shutdown-timeout}).
 */
public final class OperatorMain {
    private static final Logger LOG = LoggerFactory.getLogger(OperatorMain.class);

    private OperatorMain() {}

    public static void main(String[] args) throws Exception {
        PlinthOperator.Options options;
        MetalConfig metal;
        InetSocketAddress webhooks;
        LifecycleConfig lifecycle;
        try {
            options = options(System.getenv());
            metal = metal(System.getenv());
            webhooks = webhookListen(System.getenv());
            lifecycle = lifecycle(System.getenv());
        } catch (IllegalArgumentException e) {
            // a configuration mistake: one line naming the variable, not a stack trace
            System.err.println("plinth operator: " + e.getMessage());
            System.exit(2);
            return;
        }
        var client = ClientRateLimit.client(new io.fabric8.kubernetes.client.ConfigBuilder().build(),
                number(System.getenv(), "PLINTH_API_QPS", 50), (int) number(System.getenv(), "PLINTH_API_BURST", 100));
        PlinthOperator operator = metal != null
                ? PlinthOperator.withMachines(client, metal, options, lifecycle)
                : PlinthOperator.withFakeDriver(client,
                        FakeDriverConfig.of(Duration.ofMillis(50), Duration.ofSeconds(5), Duration.ofSeconds(2)),
                        options, lifecycle);
        if (webhooks != null) {
            operator.serveWebhooks(webhooks.getHostString(), webhooks.getPort());
            LOG.info("GitSource webhooks on http://{}:{}/hooks/gitsource/<namespace>/<name>",
                    webhooks.getHostString(), operator.webhookPort());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                operator.close();
            } catch (Exception e) {
                LOG.warn("stopping: {}", e.toString());
            }
            client.close();
            stopped.countDown();
        }, "plinth-operator-stop"));
        operator.start();
        LOG.info("plinth operator started: {} workers, leader election {}", options.workers(),
                options.leaseNamespace() == null ? "off" : "in namespace " + options.leaseNamespace());
        stopped.await();
    }

    /** Where {@code PLINTH_WEBHOOK_LISTEN} asks the webhook listener to bind; null for {@code off}. */
    static InetSocketAddress webhookListen(Map<String, String> env) {
        String v = env.getOrDefault("PLINTH_WEBHOOK_LISTEN", "0.0.0.0:8082").trim();
        if (v.equalsIgnoreCase("off")) {
            return null;
        }
        int colon = v.lastIndexOf(':');
        try {
            if (colon <= 0) {
                throw new NumberFormatException();
            }
            int port = Integer.parseInt(v.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return InetSocketAddress.createUnresolved(v.substring(0, colon).replaceAll("^\\[|]$", ""), port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("PLINTH_WEBHOOK_LISTEN=" + v + ": expected HOST:PORT or off");
        }
    }

    /** The lifecycle's timings the environment changes: {@code PLINTH_SHUTDOWN_TIMEOUT_SECONDS}. */
    static LifecycleConfig lifecycle(Map<String, String> env) {
        String v = env.get("PLINTH_SHUTDOWN_TIMEOUT_SECONDS");
        if (v == null) {
            return LifecycleConfig.DEFAULT;
        }
        try {
            long seconds = Long.parseLong(v.trim());
            if (seconds < 0) {
                throw new NumberFormatException();
            }
            return LifecycleConfig.DEFAULT.withShutdownTimeout(Duration.ofSeconds(seconds));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("PLINTH_SHUTDOWN_TIMEOUT_SECONDS=" + v + ": expected a whole number of"
                    + " seconds a running OS asked to shut down may take before it is forced off (0: at once)");
        }
    }

    /** The real-machine configuration {@code PLINTH_DRIVER} asks for; null for the FAKE driver. */
    static MetalConfig metal(Map<String, String> env) {
        String driver = env.getOrDefault("PLINTH_DRIVER", "fake");
        return switch (driver) {
            case "fake" -> null;
            case "ipmi" -> MetalConfig.fromEnv(env);
            default -> throw new IllegalArgumentException("PLINTH_DRIVER=" + driver + ": expected ipmi (real machines"
                    + " through IPMI or Redfish BMCs) or fake (simulated)");
        };
    }

    private static double number(Map<String, String> env, String name, double orElse) {
        String v = env.get(name);
        try {
            return v == null ? orElse : Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + "=" + v + ": expected a number");
        }
    }

    /** The options the environment asks for; a bad value is an error naming the variable. */
    static PlinthOperator.Options options(Map<String, String> env) {
        PlinthOperator.Options o = PlinthOperator.Options.defaults();
        String workers = env.get("PLINTH_WORKERS");
        if (workers != null) {
            try {
                o = new PlinthOperator.Options(Integer.parseInt(workers.trim()), null, null, o.maxWait(),
                        o.maxSteps());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("PLINTH_WORKERS=" + workers + ": expected a number of threads");
            }
        }
        if ("true".equalsIgnoreCase(env.get("PLINTH_LEADER_ELECTION"))) {
            String ns = env.get("POD_NAMESPACE");
            if (ns == null || ns.isBlank()) {
                throw new IllegalArgumentException("PLINTH_LEADER_ELECTION=true needs POD_NAMESPACE (the Lease's"
                        + " namespace; the chart sets it from the downward API)");
            }
            o = o.withLeaderElection(ns, env.get("POD_NAME"));
        }
        return o;
    }
}

package dev.plinth.kubernetes;

import dev.plinth.core.LifecycleConfig;
import dev.plinth.core.NodeLifecycle;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.HealthProber;
import dev.plinth.driver.fake.FakeHealthProber;
import dev.plinth.driver.probe.SocketHealthProber;
import dev.plinth.driver.fake.FakeAddressRules;
import dev.plinth.driver.fake.FakeDriver;
import dev.plinth.driver.fake.FakeDriverConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator process: JOSDK with the BareMetalNode reconciler on the shared core, leader election when asked
 * (two or more replicas are then safe: only the leader reconciles), and a bounded number of reconciler threads.
 */
public final class PlinthOperator implements AutoCloseable {
    /** Per probe connection, as standalone's. */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final Logger LOG = LoggerFactory.getLogger(PlinthOperator.class);
    /** How long stopping waits for the passes in flight to finish the driver call they are in. */
    public static final Duration STOP_GRACE = Duration.ofSeconds(5);

    private final Operator operator;
    private final BareMetalNodeReconciler nodes;
    private final AutoCloseable driver;
    private final KubernetesClient client;
    private final Leadership leadership;
    private final boolean elected;
    /** Set by {@link #close}: the Lease given up then is no reason to exit. */
    private final AtomicBoolean stopping;
    private MachineStack machines;
    private WebhookServer webhooks;

    /**
     * @param workers reconciles (and so driver calls) running at once
     * @param leaseNamespace where the leader-election Lease lives; null runs without leader election (one replica)
     * @param identity this replica's name in the Lease (the pod name)
     * @param leaseDuration how long a leader that stopped renewing keeps the Lease: the longest pause in
     *     reconciling after it dies
     * @param exitOnLostLease end the process when this replica loses the Lease it held (in a pod: it restarts clean
     *     and stands by, rather than reconciling on without the lease: JOSDK does not stop its controllers when
     *     leadership is lost); false only for tests, which run several operators in one JVM
     */
    public record Options(int workers, String leaseNamespace, String identity, Duration maxWait, int maxSteps,
            Duration leaseDuration, boolean exitOnLostLease) {
        public static final Duration LEASE_DURATION = Duration.ofSeconds(15);

        public Options {
            if (workers < 1) {
                throw new IllegalArgumentException("workers must be at least 1, not " + workers);
            }
        }

        public Options(int workers, String leaseNamespace, String identity, Duration maxWait, int maxSteps) {
            this(workers, leaseNamespace, identity, maxWait, maxSteps, LEASE_DURATION, true);
        }

        public static Options defaults() {
            return new Options(16, null, null, Duration.ofMinutes(5), 20);
        }

        public Options withLeaderElection(String namespace, String identity) {
            return new Options(workers, namespace, identity, maxWait, maxSteps, leaseDuration, exitOnLostLease);
        }

        /** For tests: a short lease, and losing it stops only this operator, not the JVM. */
        public Options withTestLease(Duration duration) {
            return new Options(workers, leaseNamespace, identity, maxWait, maxSteps, duration, false);
        }
    }

    private PlinthOperator(Operator operator, BareMetalNodeReconciler nodes, AutoCloseable driver,
            KubernetesClient client, Leadership leadership, boolean elected, AtomicBoolean stopping) {
        this.operator = operator;
        this.stopping = stopping;
        this.nodes = nodes;
        this.driver = driver;
        this.client = client;
        this.leadership = leadership;
        this.elected = elected;
    }

    /**
     * Serves the GitSource push webhooks ({@code POST /hooks/gitsource/{namespace}/{name}}) on {@code host:port}
     * (0: any free port), bound before this returns and closed with the operator. Every replica may serve them: a
     * call only asks the leader for a sync.
     */
    public PlinthOperator serveWebhooks(String host, int port) {
        webhooks = WebhookServer.start(client, host, port);
        return this;
    }

    /** The webhook listener's port; -1 when it is not served. */
    public int webhookPort() {
        return webhooks == null ? -1 : webhooks.port();
    }

    /** The operator driving simulated machines (the FAKE driver): demos, tests, benchmarks. */
    public static PlinthOperator withFakeDriver(KubernetesClient client, FakeDriverConfig fake, Options options,
            LifecycleConfig lifecycle) {
        AtomicReference<BareMetalNodeReconciler> self = new AtomicReference<>();
        FakeDriver driver = new FakeDriver(fake, null, key -> {
            var r = self.get();
            if (r != null) {
                r.wake(key);
            }
        }, Clock.systemUTC());
        return create(client, new Drivers(driver, driver, driver), new FakeAddressRules(), options, lifecycle,
                driver, self);
    }

    /**
     * The operator driving real machines: IPMI and Redfish BMCs, network boot and the deploy agent, with the
     * machine-facing listeners of {@code metal} bound before this returns (and closed with the operator).
     */
    public static PlinthOperator withMachines(KubernetesClient client, MetalConfig metal, Options options,
            LifecycleConfig lifecycle) {
        AtomicReference<BareMetalNodeReconciler> self = new AtomicReference<>();
        MachineStack stack = MachineStack.open(metal, client, key -> {
            var r = self.get();
            if (r != null) {
                r.wake(key);
            }
        });
        try {
            PlinthOperator operator = create(client, stack.drivers, stack.rules, options, lifecycle, stack, self);
            operator.nodes.useImages(stack.images, stack.images::setImages);
            operator.nodes.useInventories(stack.agent::inventory);
            stack.images.setListener(image -> operator.nodes.wakeAll());
            operator.machines = stack;
            // the agent service first: the routes serve before the label sends machines here
            operator.leadership.add(stack.agent);
            if (options.leaseNamespace() != null && options.identity() != null) {
                LeaderPodLabel label = new LeaderPodLabel(client, options.leaseNamespace(), options.identity());
                label.standBy();
                operator.leadership.add(label);
            }
            return operator;
        } catch (RuntimeException e) {
            stack.close();
            throw e;
        }
    }

    /** The plain-HTTP provisioning listener's port (iPXE); -1 without real machines. */
    public int provisioningPort() {
        return machines == null ? -1 : machines.plainPort();
    }

    /** The HTTPS provisioning listener's port (agent, images); -1 without real machines. */
    public int provisioningTlsPort() {
        return machines == null ? -1 : machines.tlsPort();
    }

    /** The operator on the given drivers; {@code close} closes {@code driver}. */
    public static PlinthOperator create(KubernetesClient client, Drivers drivers,
            dev.plinth.driver.BmcAddressRules rules, Options options, LifecycleConfig lifecycle,
            AutoCloseable driver, AtomicReference<BareMetalNodeReconciler> self) {
        HealthProber prober = driver instanceof FakeDriver fake
                // the FAKE driver's machines answer for the OS they run, by the node's key
                ? new FakeHealthProber(fake, new SocketHealthProber(PROBE_TIMEOUT))
                : new SocketHealthProber(PROBE_TIMEOUT);
        return create(client, drivers, rules, options, lifecycle, driver, self, prober,
                driver instanceof FakeDriver ? key -> key : CloudStatuses::name);
    }

    /**
     * As above, with the roles' health probes made by {@code prober}, {@code {node}} in a probe's host standing for
     * {@code probeName} of the node's key (namespace/name).
     */
    static PlinthOperator create(KubernetesClient client, Drivers drivers,
            dev.plinth.driver.BmcAddressRules rules, Options options, LifecycleConfig lifecycle,
            AutoCloseable driver, AtomicReference<BareMetalNodeReconciler> self, HealthProber prober,
            java.util.function.Function<String, String> probeName) {
        BareMetalNodeReconciler reconciler = new BareMetalNodeReconciler(client, new NodeLifecycle(lifecycle),
                drivers, rules, Clock.systemUTC(), options.maxSteps(), options.maxWait());
        AtomicBoolean stopping = new AtomicBoolean();
        self.set(reconciler);
        Leadership leadership = new Leadership(options.identity());
        leadership.add(new Leadership.Listener() {
            @Override
            public void startedLeading(String previous) {}

            @Override
            public void stoppedLeading() {
                if (options.exitOnLostLease() && !stopping.get()) {
                    LOG.error("lost the leader Lease: exiting, to restart as a standby");
                    new Thread(() -> System.exit(1), "plinth-lost-lease").start();
                }
            }
        });
        Operator operator = new Operator(o -> {
            o.withKubernetesClient(client)
                    .withConcurrentReconciliationThreads(options.workers())
                    .withCloseClientOnStop(false)
                    // JOSDK's default (zero) interrupts passes in flight: a BMC call that completes anyway then
                    // fails its status write, so the next leader must read the machine back; with a grace the
                    // call's outcome is recorded, and the pass goes no further (the caches stop first, and a pass
                    // that reads a stopped cache is abandoned: CacheNotServing)
                    .withReconciliationTerminationTimeout(STOP_GRACE);
            if (options.leaseNamespace() != null) {
                // client-go's proportions: renew well within the lease, retry often
                var election = LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration("plinth-operator")
                        .withLeaseNamespace(options.leaseNamespace())
                        .withLeaseDuration(options.leaseDuration())
                        .withRenewDeadline(options.leaseDuration().multipliedBy(2).dividedBy(3))
                        .withRetryPeriod(options.leaseDuration().dividedBy(5))
                        // run before JOSDK starts reconciling on the Lease: the agent service loads its registry.
                        // JOSDK's own exit on a lost Lease would call System.exit also when this operator is being
                        // stopped, and in a shutdown hook (SIGTERM, a pod deleted) that blocks forever: the pod
                        // then waits for its SIGKILL. So the exit is ours (a Leadership listener), skipped while
                        // stopping.
                        .withExitOnStopLeading(false)
                        .withLeaderCallbacks(leadership.callbacks());
                if (options.identity() != null) {
                    election.withIdentity(options.identity());
                }
                o.withLeaderElectionConfiguration(election.build());
            }
        });
        operator.register(reconciler, c -> c.withName(BareMetalNodeReconciler.NAME)
                .withFieldManager(NodeStatusWriter.FIELD_MANAGER)
                .withFinalizer(BareMetalNodeReconciler.FINALIZER)
                // not generation-aware alone: labels (Cloud roles) and annotations (pause) change no generation;
                // the filter still drops the updates of our own status writes
                .withGenerationAware(false)
                .withOnUpdateFilter(BareMetalNodeReconciler::worthReconciling)
                // a pass that failed (the API server refused a status write) is retried for as long as it takes,
                // backing off to a minute; JOSDK's default gives up after 5 tries
                .withRetry(new io.javaoperatorsdk.operator.processing.retry.GenericRetry().setInitialInterval(1000)
                        .setIntervalMultiplier(2).setMaxInterval(60_000).withoutMaxAttempts())
                // every node is looked at within maxWait, whatever was lost (drift checks rely on it)
                .withReconciliationMaxInterval(options.maxWait()));
        FleetPass fleet = new FleetPass(client, Clock.systemUTC(), prober, probeName);
        reconciler.useFleet(fleet);
        operator.register(new CloudReconciler(fleet), c -> c.withName(CloudReconciler.NAME)
                .withFieldManager(NodeStatusWriter.FIELD_MANAGER));
        try {
            operator.register(new GitSourceReconciler(client,
                            java.nio.file.Files.createTempDirectory("plinth-gitsource")),
                    c -> c.withName(GitSourceReconciler.NAME).withFieldManager(GitSourceReconciler.FIELD_MANAGER)
                            // a webhook's request is an annotation, which changes no generation
                            .withGenerationAware(false)
                            .withOnUpdateFilter(GitSourceReconciler::worthReconciling));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("no temporary directory for GitSource clones", e);
        }
        return new PlinthOperator(operator, reconciler, () -> {
            fleet.close();
            driver.close();
        }, client, leadership, options.leaseNamespace() != null, stopping);
    }

    public PlinthOperator start() {
        if (!elected) {
            leadership.start(); // one replica: it leads from the start
        }
        operator.start();
        return this;
    }

    public BareMetalNodeReconciler nodes() {
        return nodes;
    }

    /** Whether this replica leads (always, without leader election, once started). */
    public boolean leading() {
        return leadership.leading();
    }

    @Override
    public void close() throws Exception {
        if (webhooks != null) {
            webhooks.close();
        }
        stopping.set(true);
        operator.stop();
        driver.close();
    }
}

package dev.plinth.runtime.cli;

import ch.qos.logback.classic.Level;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.load.DesiredStateLoader;
import dev.plinth.load.LoadResult;
import dev.plinth.runtime.LocalGitRepo;
import dev.plinth.runtime.Standalone;
import dev.plinth.runtime.StandaloneOptions;
import dev.plinth.runtime.http.ListenAddress;
import dev.plinth.secrets.file.LocalSecretsFile;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Converge N FAKE nodes from one Git commit through the whole standalone controller (Git,"
                + " validation, SQLite store, workers) and print wall time, CPU seconds and peak heap.")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--nodes", defaultValue = "1000", description = "Fleet size (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--timeout", defaultValue = "30m", description = "Give up after (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--idle", defaultValue = "0s", description = "After converging, measure the controller's CPU"
            + " over this long with every node provisioned and drift checks every 60 s, e.g. 3m (default: none).")
    String idle;

    @Option(names = "--fake-persisted", description = "Keep the FAKE machines on disk, as `plinth run --driver fake`"
            + " does (default: in memory).")
    boolean fakePersisted;

    @Mixin
    ControllerOptions options;

    @Override
    public Integer call() throws Exception {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("dev.plinth")).setLevel(Level.WARN);
        Path work = Files.createTempDirectory("plinth-bench-");
        try (LocalGitRepo repo = LocalGitRepo.init(work.resolve("repo"))) {
            for (int file = 0; file * 1000 < nodes; file++) {
                repo.write("nodes/nodes-" + file + ".yaml", nodesYaml(file * 1000, Math.min(nodes, file * 1000 + 1000)));
            }
            repo.write("images.yaml", IMAGE);
            repo.commitAll(nodes + " nodes");

            long v0 = System.nanoTime();
            LoadResult check = new DesiredStateLoader(Standalone.bmcSupport("fake")).load("check", DesiredStateLoader.readDirectory(repo.dir()));
            double validateSeconds = (System.nanoTime() - v0) / 1e9;
            if (!check.isOk()) {
                check.problems().stream().limit(5).forEach(System.err::println);
                return 1;
            }
            options.stateDir = work.resolve("state");
            options.apiListen = ListenAddress.loopback(0);
            options.fakeInMemory = !fakePersisted;
            options.driver = "fake";
            options.secrets = work.resolve("secrets.yaml");
            LocalSecretsFile.write(options.secrets,
                    Map.of("bmc-fleet", new BmcCredentials("admin", "bench")));
            StandaloneOptions o = options.toStandalone(repo.url(), "main", "", Duration.ofHours(1));

            System.gc();
            ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
            long cpu0 = processCpuNanos();
            long t0 = System.nanoTime();
            boolean converged;
            double wall;
            double cpu;
            String idleFigures = "";
            try (Standalone plinth = new Standalone(o, dev.plinth.engine.NodeListener.NONE)) {
                converged = DemoCommand.waitFor(() -> plinth.controller().desired().nodes().size() == nodes
                        && plinth.status().converged(), Durations.parse(timeout));
                wall = (System.nanoTime() - t0) / 1e9;
                cpu = (processCpuNanos() - cpu0) / 1e9;
                Duration idleFor = Durations.parse(idle);
                if (converged && !idleFor.isZero()) {
                    idleFigures = idle(plinth, idleFor);
                }
            }
            long peakHeap = ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(p -> p.getType() == MemoryType.HEAP).mapToLong(p -> p.getPeakUsage().getUsed()).sum();
            System.out.printf("nodes=%d converged=%s wall=%.1fs cpu=%.1fs peak_heap=%dMiB max_heap=%dMiB"
                            + " workers=%d cores=%d validate=%.2fs fake_latency_ms=%d/%d/%d%n",
                    nodes, converged, wall, cpu, peakHeap >> 20, Runtime.getRuntime().maxMemory() >> 20,
                    options.workers, Runtime.getRuntime().availableProcessors(), validateSeconds,
                    options.fakeCallMs, options.fakeDeployMs, options.fakeBootMs);
            System.out.printf("fake=%s%s%n", fakePersisted ? "persisted" : "in-memory", idleFigures);
            return converged ? 0 : 1;
        } finally {
            LocalGitRepo.deleteTree(work);
        }
    }

    /**
     * The controller's CPU while nothing changes: every node provisioned, each drift-checked once a minute. The
     * first minute after convergence is skipped: the drift checks of nodes that converged together are bunched.
     */
    private static String idle(Standalone plinth, Duration idleFor) throws InterruptedException {
        Thread.sleep(60_000);
        System.gc();
        long checks0 = plinth.controller().records().stream().filter(r -> r.power().checkedAt() != null)
                .mapToLong(r -> r.power().checkedAt().toEpochMilli()).sum();
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        Thread.sleep(idleFor.toMillis());
        double minutes = (System.nanoTime() - t0) / 60e9;
        double cpu = (processCpuNanos() - cpu0) / 1e9;
        boolean checked = plinth.controller().records().stream().filter(r -> r.power().checkedAt() != null)
                .mapToLong(r -> r.power().checkedAt().toEpochMilli()).sum() != checks0;
        return String.format(" idle=%.1fmin idle_cpu=%.2fs idle_cpu_per_min=%.2fs drift_checks_ran=%s"
                + " still_converged=%s", minutes, cpu, cpu / minutes, checked, plinth.status().converged());
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    private static final String IMAGE = """
            apiVersion: plinth.dev/v1alpha1
            kind: DiskImage
            metadata: {name: bench}
            spec:
              url: http://images.bench.internal/bench.raw
              checksum: sha256:%s
            """.formatted("ab".repeat(32));

    private static String nodesYaml(int from, int to) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < to; i++) {
            sb.append("---\napiVersion: plinth.dev/v1alpha1\nkind: BareMetalNode\nmetadata: {name: node-").append(i)
                    .append("}\nspec:\n  bmc: {address: \"ipmi://10.").append(i >> 16 & 255).append('.')
                    .append(i >> 8 & 255).append('.').append(i & 255).append(":623\", credentialsName: bmc-fleet}\n")
                    .append("  bootMACAddress: \"").append(String.format("52:54:00:%02x:%02x:%02x", i >> 16 & 255,
                            i >> 8 & 255, i & 255)).append("\"\n  image: {name: bench}\n");
        }
        return sb.toString();
    }
}

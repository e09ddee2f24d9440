package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.testing.Fixtures;
import dev.plinth.kubernetes.testing.KubeApi;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.http.BasicBuilder;
import io.fabric8.kubernetes.client.http.HttpRequest;
import io.fabric8.kubernetes.client.http.Interceptor;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The operator at scale (bench/operator.sh): N BareMetalNodes with the FAKE driver (zero latency) applied to the
 * test kube-apiserver, timed from the first create to every node Ready, with the operator's API requests counted.
 * Prints its figures; runs only when asked ({@code -Dplinth.bench.nodes=N}).
 */
class OperatorBench {

    @Test
    void applyToAllReady() throws Exception {
        int n = Integer.getInteger("plinth.bench.nodes", 0);
        Assumptions.assumeTrue(n > 0, "a benchmark: run with -Dplinth.bench.nodes=N (bench/operator.sh)");
        int workers = Integer.getInteger("plinth.bench.workers", 16);
        KubeApi api = KubeApi.get();
        AtomicLong requests = new AtomicLong();
        Interceptor counting = new Interceptor() {
            @Override
            public void before(BasicBuilder builder, HttpRequest request, RequestTags tags) {
                requests.incrementAndGet();
            }
        };
        Config config = Config.fromKubeconfig(api.kubeconfigYaml());
        try (KubernetesClient setup = api.client();
                KubernetesClient client = new KubernetesClientBuilder().withConfig(config)
                        .withHttpClientBuilderConsumer(b -> b.addOrReplaceInterceptor("count", counting)).build()) {
            api.installCrds(setup);
            String ns = api.newNamespace(setup, "bench");
            setup.resource(Fixtures.image(ns, "centos")).create();
            setup.resource(Fixtures.credentials(ns, "bmc-bench", "admin", "pw")).create();
            PlinthOperator operator = PlinthOperator.withFakeDriver(client, FakeDriverConfig.INSTANT,
                    new PlinthOperator.Options(workers, null, null, Duration.ofMinutes(5), 20),
                    BareMetalNodeOperatorTest.LIFECYCLE).start();
            long cpu0 = cpu();
            long start = System.nanoTime();
            ExecutorService creators = Executors.newFixedThreadPool(8);
            for (int i = 0; i < n; i++) {
                int index = i;
                creators.submit(() -> {
                    BareMetalNodeResource node = Fixtures.node(ns, "node-" + index, index, "centos");
                    node.getSpec().bmc.credentialsName = "bmc-bench";
                    setup.resource(node).create();
                });
            }
            creators.shutdown();
            assertThat(creators.awaitTermination(10, TimeUnit.MINUTES)).isTrue();
            double applied = (System.nanoTime() - start) / 1e9;
            long ready;
            // listing every node is itself a load on the API server: at 10,000 nodes, look every 10 s
            long poll = Math.max(250, n);
            long limit = TimeUnit.MINUTES.toNanos(Integer.getInteger("plinth.bench.minutes", 30));
            do {
                Thread.sleep(poll);
                ready = setup.resources(BareMetalNodeResource.class).inNamespace(ns).list().getItems().stream()
                        .filter(x -> x.getStatus() != null && x.getStatus().conditions.stream().anyMatch(
                                c -> c.type.equals(NodeConditions.READY) && c.status.equals("True")))
                        .count();
            } while (ready < n && System.nanoTime() - start < limit);
            double wall = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = (cpu() - cpu0) / 1e9;
            System.out.printf("operator bench: %d nodes, %d workers: created in %.1f s, all Ready after %.1f s wall,"
                            + " %.1f s CPU (test JVM: operator and client), %d operator API requests (%.1f per node)%n",
                    n, workers, applied, wall, cpuSeconds, requests.get(), requests.get() / (double) n);
            assertThat(ready).isEqualTo(n);
            operator.close();
        }
    }

    private static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}

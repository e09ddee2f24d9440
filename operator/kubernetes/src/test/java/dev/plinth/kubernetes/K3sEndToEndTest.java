package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.marcnuri.helm.Helm;
import dev.plinth.core.LifecycleConfig;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.CrdFiles;
import dev.plinth.kubernetes.testing.Fixtures;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * End to end on a real cluster (k3s in a container, Testcontainers): the chart installed with helm-java, the
 * repository's {@code examples/} applied with the cluster's own {@code kubectl apply -R -f}, one Secret per
 * {@code credentialsName}, and every BareMetalNode Ready with the FAKE driver's machines.
 *
 * <p>What it does not do, plainly: run the operator's container image. This repository builds none (Jib or a
 * Dockerfile would need a base image from a container registry, which these machines cannot reach), so the chart is
 * installed with {@code replicas=0} (its CRDs, RBAC and ServiceAccount; a Deployment with no pod) and the operator
 * runs in this test's JVM against k3s, authenticated as the chart's ServiceAccount by a token from the TokenRequest
 * API: the chart's least-privilege RBAC is what it runs under, leader election included.
 *
 * <p>It needs a Docker engine. Where there is none (these machines, and CI's, which are the same kind) it is
 * skipped with a message saying so, under {@code CI=true} too: unlike the kube-apiserver tests (whose binaries CI
 * builds), nothing in CI can provide Docker. It has never run on the machines this project is built on.
 */
class K3sEndToEndTest {
    /** A k3s of the Kubernetes minor the API-server tests use. */
    static final String K3S_IMAGE = "rancher/k3s:v1.33.1-k3s1";
    private static final Pattern CREDENTIALS = Pattern.compile("credentialsName:\\s*([a-z0-9.-]+)");

    @Test
    void theChartAndTheExamplesProvisionEveryNodeOnK3s() throws Exception {
        skipWithoutDocker();
        try (K3sContainer k3s = new K3sContainer(DockerImageName.parse(K3S_IMAGE))) {
            k3s.start();
            String kubeconfig = k3s.getKubeConfigYaml();
            String release = "plinth-system";
            var installed = new Helm(HelmChartTest.CHART).install().withName("plinth").withNamespace(release)
                    .createNamespace().withKubeConfigContents(kubeconfig).set("replicas", "0").call();
            assertThat(installed.getStatus()).isEqualTo("deployed");

            try (KubernetesClient admin = new KubernetesClientBuilder()
                    .withConfig(Config.fromKubeconfig(kubeconfig)).build()) {
                String ns = "fleet";
                admin.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata()
                        .build()).create();
                Path examples = CrdFiles.repoRoot().resolve("examples");
                for (String name : credentialsNames(examples)) {
                    admin.resource(Fixtures.credentials(ns, name, "admin", "k3s-e2e")).create();
                }
                k3s.copyFileToContainer(MountableFile.forHostPath(examples), "/tmp/examples");
                var applied = k3s.execInContainer("kubectl", "apply", "-n", ns, "-R", "-f", "/tmp/examples");
                assertThat(applied.getExitCode()).as(applied.getStdout() + applied.getStderr()).isZero();

                String token = admin.serviceAccounts().inNamespace(release).withName("plinth")
                        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(3600L)
                                .endSpec().build()).getStatus().getToken();
                Config asChart = new ConfigBuilder(Config.fromKubeconfig(kubeconfig)).withClientCertData(null)
                        .withClientKeyData(null).withClientCertFile(null).withClientKeyFile(null)
                        .withOauthToken(token).build();
                try (KubernetesClient operatorClient = new KubernetesClientBuilder().withConfig(asChart).build();
                        PlinthOperator operator = PlinthOperator.withFakeDriver(operatorClient,
                                FakeDriverConfig.of(Duration.ofMillis(50), Duration.ofSeconds(2),
                                        Duration.ofSeconds(1)),
                                PlinthOperator.Options.defaults().withLeaderElection(release, "k3s-e2e"),
                                LifecycleConfig.DEFAULT).start()) {
                    await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(2))
                            .alias("every BareMetalNode Ready").until(() -> {
                                List<BareMetalNodeResource> nodes = admin.resources(BareMetalNodeResource.class)
                                        .inNamespace(ns).list().getItems();
                                return !nodes.isEmpty() && nodes.stream().allMatch(K3sEndToEndTest::ready);
                            });
                    assertThat(admin.resources(BareMetalNodeResource.class).inNamespace(ns).list().getItems())
                            .extracting(n -> n.getStatus().state).containsOnly("PROVISIONED");
                }
            }
        }
    }

    private static boolean ready(BareMetalNodeResource n) {
        return n.getStatus() != null && n.getStatus().conditions.stream()
                .anyMatch(c -> c.type.equals(NodeConditions.READY) && c.status.equals("True"));
    }

    /** The Secrets the examples' nodes name, one each. */
    static Set<String> credentialsNames(Path examples) throws IOException {
        Set<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.walk(examples)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).toList()) {
                Matcher m = CREDENTIALS.matcher(Files.readString(f));
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        return names;
    }

    /** Skips (CI included) where Testcontainers finds no Docker engine, saying so where surefire shows it. */
    private static void skipWithoutDocker() {
        boolean docker;
        try {
            docker = DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            docker = false;
        }
        if (!docker) {
            String why = "no Docker engine on this machine (Testcontainers found no valid Docker environment), so"
                    + " no k3s container; this test runs wherever Docker exists"
                    + ("true".equalsIgnoreCase(System.getenv("CI")) ? " (CI=true: CI machines have no Docker"
                            + " either, so this stays a skip there)" : "");
            System.err.println("SKIPPED (K3sEndToEndTest): " + why);
            Assumptions.abort("skipped: " + why);
        }
    }

    @Test
    void theExamplesNameTheirCredentials() throws IOException {
        // what the end-to-end test creates Secrets for; runs everywhere
        assertThat(credentialsNames(CrdFiles.repoRoot().resolve("examples")))
                .contains("bmc-controller-0", "bmc-compute-2", "bmc-undercloud-0").hasSize(7);
    }
}

package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.marcnuri.helm.Helm;
import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.CrdFiles;
import dev.plinth.kubernetes.testing.Dockerfile;
import dev.plinth.kubernetes.testing.Fixtures;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.InputStream;
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
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.k3s.K3sContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * End to end on a real cluster (k3s in a container, Testcontainers): the operator's image built from
 * operator/kubernetes/Dockerfile ({@code ImageFromDockerfile}, on the distribution {@code mvn package} built) and
 * imported into k3s's containerd, the chart installed with helm-java running that image ({@code pullPolicy: Never},
 * one replica), the repository's {@code examples/} applied with the cluster's own {@code kubectl apply -R -f}, one
 * Secret per {@code credentialsName}, and every BareMetalNode Ready with the FAKE driver's machines: the operator
 * running as the chart's pod, under the chart's RBAC, holding the chart's Lease.
 *
 * <p>It needs a Docker engine. Where there is none (these machines, and CI's, which are the same kind) it is
 * skipped with a message saying so, under {@code CI=true} too: unlike the kube-apiserver tests (whose binaries CI
 * builds), nothing in CI can provide Docker. It runs in the package phase with OperatorImageTest (which runs the
 * image's entrypoint without a container, here too). It has never run on the machines this project is built on.
 */
class K3sEndToEndTest {
    /** A k3s of the Kubernetes minor the API-server tests use. */
    static final String K3S_IMAGE = "rancher/k3s:v1.33.1-k3s1";
    /** The operator image as built here; containerd knows it as docker.io/library/plinth-operator:k3s-e2e. */
    static final String OPERATOR_IMAGE = "plinth-operator:k3s-e2e";
    private static final Pattern CREDENTIALS = Pattern.compile("credentialsName:\\s*([a-z0-9.-]+)");

    @Test
    void theChartsOperatorPodProvisionsEveryExampleNodeOnK3s(@TempDir Path tmp) throws Exception {
        skipWithoutDocker();
        Path context = OperatorImageTest.context();
        ImageFromDockerfile image = new ImageFromDockerfile(OPERATOR_IMAGE, false)
                .withFileFromPath("Dockerfile", context.resolve("Dockerfile"));
        for (Dockerfile.Copy c : OperatorImageTest.dockerfile(context).copies()) {
            String source = c.source().replaceAll("/+$", "");
            image.withFileFromPath(source, context.resolve(source));
        }
        String built = image.get();
        try (K3sContainer k3s = new K3sContainer(DockerImageName.parse(K3S_IMAGE))) {
            k3s.start();
            // docker save, then containerd's import in the k3s container: the kubelet finds it without a registry
            Path tar = tmp.resolve("operator.tar");
            try (InputStream saved = DockerClientFactory.instance().client().saveImageCmd(built).exec()) {
                Files.copy(saved, tar);
            }
            k3s.copyFileToContainer(MountableFile.forHostPath(tar), "/tmp/operator.tar");
            var imported = k3s.execInContainer("ctr", "-n", "k8s.io", "images", "import", "/tmp/operator.tar");
            assertThat(imported.getExitCode()).as(imported.getStdout() + imported.getStderr()).isZero();

            String kubeconfig = k3s.getKubeConfigYaml();
            String release = "plinth-system";
            var installed = new Helm(HelmChartTest.CHART).install().withName("plinth").withNamespace(release)
                    .createNamespace().withKubeConfigContents(kubeconfig)
                    .set("image.repository", OPERATOR_IMAGE.split(":")[0])
                    .set("image.tag", OPERATOR_IMAGE.split(":")[1])
                    .set("image.pullPolicy", "Never")
                    .set("replicas", "1").call();
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

                try {
                    await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(2))
                            .alias("every BareMetalNode Ready").until(() -> {
                                List<BareMetalNodeResource> nodes = admin.resources(BareMetalNodeResource.class)
                                        .inNamespace(ns).list().getItems();
                                return !nodes.isEmpty() && nodes.stream().allMatch(K3sEndToEndTest::ready);
                            });
                } finally {
                    for (Pod pod : admin.pods().inNamespace(release).list().getItems()) {
                        System.out.println("--- pod " + pod.getMetadata().getName() + " (" + pod.getStatus()
                                .getPhase() + "), its log:\n" + admin.pods().inNamespace(release)
                                .withName(pod.getMetadata().getName()).getLog());
                    }
                }
                assertThat(admin.resources(BareMetalNodeResource.class).inNamespace(ns).list().getItems())
                        .extracting(n -> n.getStatus().state).containsOnly("PROVISIONED");
                // the one who did it: the chart's pod, leader by the chart's Lease
                List<Pod> pods = admin.pods().inNamespace(release).list().getItems();
                assertThat(pods).hasSize(1);
                assertThat(pods.get(0).getSpec().getContainers().get(0).getImage()).isEqualTo(OPERATOR_IMAGE);
                assertThat(admin.leases().inNamespace(release).list().getItems())
                        .extracting(l -> l.getSpec().getHolderIdentity())
                        .contains(pods.get(0).getMetadata().getName());
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

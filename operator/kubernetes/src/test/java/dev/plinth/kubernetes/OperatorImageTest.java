package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.CrdFiles;
import dev.plinth.kubernetes.testing.Dockerfile;
import dev.plinth.kubernetes.testing.Fixtures;
import dev.plinth.kubernetes.testing.KubeApi;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's image without a container (there is no container engine here or in CI): the Dockerfile's COPY
 * sources are what {@code mvn package} produces, and its exact ENTRYPOINT, run as a separate process in a directory
 * laid out as its COPY lines lay out the image, is an operator that provisions a BareMetalNode on the real API server
 * with the FAKE driver. What is not checked here: the base image (eclipse-temurin:17-jre) itself, and the
 * Dockerfile's USER (the process runs as the test's user); K3sEndToEndTest runs the image where Docker exists.
 *
 * <p>Runs in surefire's {@code operator-image} execution in the package phase (operator/kubernetes/pom.xml), after the
 * jar and {@code target/lib/} exist; anywhere else it skips, saying so.
 */
class OperatorImageTest {
    static final String DISTRIBUTION = "plinth.operator.distribution";

    /** The build context, {@code operator/kubernetes}; skips unless the package phase built the distribution. */
    static Path context() {
        String target = System.getProperty(DISTRIBUTION);
        if (target == null) {
            String why = "the operator distribution (target/plinth-kubernetes.jar, target/lib/) is built in the"
                    + " package phase; this test runs in surefire's operator-image execution there (mvn package, or"
                    + " ./run-tests), not in the test phase";
            System.err.println("SKIPPED (operator image): " + why);
            Assumptions.abort("skipped: " + why);
        }
        return Path.of(target).getParent();
    }

    static Dockerfile dockerfile(Path context) {
        return Dockerfile.read(context.resolve("Dockerfile"));
    }

    @Test
    void theDockerfileCopiesWhatTheBuildProduces() throws IOException {
        Path context = context();
        Dockerfile image = dockerfile(context);
        assertThat(image.from()).isEqualTo("eclipse-temurin:17-jre");
        assertThat(image.user()).as("non-root, the chart's runAsUser").isEqualTo("65532:65532");
        assertThat(Files.readString(CrdFiles.repoRoot().resolve("helm/plinth/templates/deployment.yaml")))
                .contains("runAsUser: 65532");
        assertThat(image.copies()).isNotEmpty();
        for (Dockerfile.Copy c : image.copies()) {
            Path source = context.resolve(c.source());
            assertThat(source).as("COPY " + c.source()).exists();
        }
        // the build context sends only the COPY sources
        List<String> allowed = Files.readAllLines(context.resolve(".dockerignore")).stream()
                .filter(l -> l.startsWith("!")).map(l -> l.substring(1)).toList();
        assertThat(allowed).containsExactlyInAnyOrderElementsOf(image.copies().stream()
                .map(c -> c.source().replaceAll("/$", "")).toList());

        // the jar is this build's operator, and lib/ holds every runtime library it needs
        Path jar = context.resolve("target/plinth-kubernetes.jar");
        try (JarFile j = new JarFile(jar.toFile())) {
            assertThat(j.getEntry("dev/plinth/kubernetes/OperatorMain.class")).isNotNull();
            assertThat(j.getEntry("dev/plinth/kubernetes/OperatorImageTest.class")).isNull();
        }
        List<String> libs;
        try (Stream<Path> files = Files.list(context.resolve("target/lib"))) {
            libs = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        System.out.println("operator image: " + libs.size() + " libraries, " + size(context.resolve("target/lib"))
                / (1 << 20) + " MiB, operator jar " + Files.size(jar) / 1024 + " KiB");
        assertThat(libs).anyMatch(l -> l.startsWith("plinth-machines")).anyMatch(l -> l.startsWith("plinth-core"))
                .anyMatch(l -> l.startsWith("operator-framework-")).anyMatch(l -> l.startsWith("logback-classic"))
                .noneMatch(l -> l.startsWith("junit")).noneMatch(l -> l.startsWith("sqlite-jdbc"))
                .noneMatch(l -> l.startsWith("plinth-testkit"));
        assertThat(image.entrypoint()).contains("dev.plinth.kubernetes.OperatorMain");
    }

    @Test
    void theEntrypointRunsAnOperatorThatProvisionsANode(@TempDir Path root) throws Exception {
        context(); // skips outside the package phase, before starting an API server
        KubeApi api = KubeApi.get();
        try (KubernetesClient client = api.client()) {
            api.installCrds(client);
            String ns = api.newNamespace(client, "image");
            long start = System.nanoTime();
            Process operator = startEntrypoint(api, ns, root);
            try {
                client.resource(Fixtures.credentials(ns, "bmc-n0", "admin", "pw")).create();
                client.resource(Fixtures.image(ns, "centos")).create();
                client.resource(Fixtures.node(ns, "n0", 0, "centos")).create();
                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                        .alias("node Ready, provisioned by the entrypoint's process").until(() -> {
                            assertThat(operator.isAlive()).as("the operator process is running; its log:\n"
                                    + log(root)).isTrue();
                            BareMetalNodeResource n = client.resources(BareMetalNodeResource.class).inNamespace(ns)
                                    .withName("n0").get();
                            return n.getStatus() != null && n.getStatus().conditions != null
                                    && n.getStatus().conditions.stream().anyMatch(c -> c.type.equals("Ready")
                                            && c.status.equals("True"));
                        });
                System.out.printf("operator image entrypoint: node Ready %.1f s after the process started%n",
                        (System.nanoTime() - start) / 1e9);
                BareMetalNodeResource n = client.resources(BareMetalNodeResource.class).inNamespace(ns)
                        .withName("n0").get();
                assertThat(n.getStatus().state).isEqualTo("PROVISIONED");
                assertThat(client.leases().inNamespace(ns).list().getItems()).extracting(
                        l -> l.getSpec().getHolderIdentity()).contains(POD_NAME);
                assertThat(log(root)).contains("plinth operator started", "GitSource webhooks on");
            } finally {
                // SIGTERM, as the kubelet stops a pod: the shutdown hook stops the operator, which gives up the
                // Lease without exiting from inside the hook (that hung until SIGKILL once)
                long stop = System.nanoTime();
                operator.destroy();
                boolean exited = operator.waitFor(60, TimeUnit.SECONDS);
                if (!exited) {
                    operator.destroyForcibly();
                }
                System.out.printf("operator image entrypoint: %s %.1f s after SIGTERM%n",
                        exited ? "exit " + operator.exitValue() : "still running", (System.nanoTime() - stop) / 1e9);
                assertThat(exited).as("stopped on SIGTERM; log:\n" + log(root)).isTrue();
                assertThat(log(root)).doesNotContain("lost the leader Lease");
            }
        }
    }

    /** A replica whose Lease another takes exits (its pod restarts as a standby), as PlinthOperator.Options says. */
    @Test
    void theEntrypointExitsWhenItsLeaseIsTaken(@TempDir Path root) throws Exception {
        context(); // skips outside the package phase, before starting an API server
        KubeApi api = KubeApi.get();
        try (KubernetesClient client = api.client()) {
            api.installCrds(client);
            String ns = api.newNamespace(client, "image-lease");
            Process operator = startEntrypoint(api, ns, root);
            try {
                await().atMost(Duration.ofMinutes(2)).until(() -> client.leases().inNamespace(ns).list().getItems()
                        .stream().anyMatch(l -> POD_NAME.equals(l.getSpec().getHolderIdentity())));
                var lease = client.leases().inNamespace(ns).list().getItems().get(0);
                client.leases().inNamespace(ns).withName(lease.getMetadata().getName()).edit(l -> {
                    l.getSpec().setHolderIdentity("another-replica");
                    l.getSpec().setRenewTime(java.time.ZonedDateTime.now());
                    l.getSpec().setLeaseDurationSeconds(3600);
                    return l;
                });
                boolean exited = operator.waitFor(2, TimeUnit.MINUTES);
                System.out.println("operator image entrypoint, Lease taken: "
                        + (exited ? "exit " + operator.exitValue() : "still running"));
                assertThat(exited).as("exited; log:\n" + log(root)).isTrue();
                assertThat(operator.exitValue()).isEqualTo(1);
                assertThat(log(root)).contains("lost the leader Lease: exiting");
            } finally {
                operator.destroyForcibly();
            }
        }
    }

    static final String POD_NAME = "operator-image-test";

    /**
     * The Dockerfile's ENTRYPOINT as a process, in a directory laid out by its COPY lines, with the environment the
     * chart's Deployment gives it (leader election on) and nothing of this JVM's.
     */
    private static Process startEntrypoint(KubeApi api, String ns, Path root) throws IOException {
        Path context = context();
        Dockerfile image = dockerfile(context);
        Path workdir = image.stage(context, root.resolve("image"));
        List<String> command = new ArrayList<>(image.entrypoint());
        // the image's java is the base image's; here it is the JVM running this test (the same major version)
        assertThat(command.get(0)).isEqualTo("java");
        command.set(0, ProcessHandle.current().info().command().orElseThrow());
        ProcessBuilder pb = new ProcessBuilder(command).directory(workdir.toFile()).redirectErrorStream(true)
                .redirectOutput(root.resolve("operator.log").toFile());
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", "/usr/bin:/bin");
        env.putAll(image.env());
        env.put("HOME", root.toString());
        env.put("KUBECONFIG", api.kubeconfig().toString());
        env.put("PLINTH_DRIVER", "fake");
        env.put("PLINTH_WORKERS", "4");
        env.put("PLINTH_LEADER_ELECTION", "true");
        env.put("POD_NAMESPACE", ns);
        env.put("POD_NAME", POD_NAME);
        env.put("PLINTH_WEBHOOK_LISTEN", "127.0.0.1:0");
        return pb.start();
    }

    private static String log(Path root) throws IOException {
        Path log = root.resolve("operator.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }
}

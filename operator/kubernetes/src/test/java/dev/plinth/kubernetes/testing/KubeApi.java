package dev.plinth.kubernetes.testing;

import static org.junit.jupiter.api.Assertions.fail;

import dev.plinth.kubernetes.crd.CrdFiles;
import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;

/**
 * A real kube-apiserver with etcd (io.fabric8:kube-api-test), started once per test JVM from the binaries
 * scripts/kube-tools.sh builds, never downloaded. Without them the tests skip with a message, except in CI
 * ({@code CI=true}), where they fail: CI must run them.
 */
public final class KubeApi {
    public static final String VERSION = System.getProperty("plinth.kube.version", "1.33.13");
    private static final AtomicInteger NAMESPACES = new AtomicInteger();
    private static KubeApi instance;

    private final KubeAPIServer server;
    private final Path kubeconfig;
    private final Path binaries;

    private KubeApi(KubeAPIServer server, Path kubeconfig, Path binaries) {
        this.server = server;
        this.kubeconfig = kubeconfig;
        this.binaries = binaries;
    }

    public static Path testDir() {
        String dir = System.getenv("KUBE_API_TEST_DIR");
        return Path.of(dir != null && !dir.isBlank() ? dir : "/var/cache/plinth/kube");
    }

    /** The shared server, started on first use; skips (or fails in CI) when the binaries are missing. */
    public static synchronized KubeApi get() {
        if (instance != null) {
            return instance;
        }
        Path bin = testDir().resolve("k8s").resolve(VERSION + "-linux-amd64");
        List<String> missing = new ArrayList<>();
        for (String b : List.of("kube-apiserver", "etcd", "kubectl")) {
            if (!Files.isExecutable(bin.resolve(b))) {
                missing.add(b);
            }
        }
        if (!missing.isEmpty()) {
            String why = "no " + String.join(", ", missing) + " in " + bin + ": run scripts/kube-tools.sh (./run-tests"
                    + " does) and set KUBE_API_TEST_DIR to the directory it prints";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail("CI=true and the Kubernetes test binaries are missing: " + why);
            }
            // surefire shows a class aborted in @BeforeAll as 0 tests run: say why where it is seen
            System.err.println("SKIPPED (Kubernetes API-server tests): " + why);
            Assumptions.abort("skipped: " + why);
        }
        KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
                .withTestDir(testDir().toString())
                .withApiServerVersion(VERSION)
                .withOfflineMode(true)
                .withUpdateKubeConfig(false)
                .withApiServerFlag("--bind-address", "127.0.0.1")
                // a network namespace without a default route (the QEMU lab's) leaves it nothing to advertise
                .withApiServerFlag("--advertise-address", "127.0.0.1")
                .withStartupTimeout(120_000)
                .build());
        server.start();
        try {
            Path kubeconfig = Files.createTempFile("plinth-kubeconfig", ".yaml");
            Files.writeString(kubeconfig, server.getKubeConfigYaml());
            kubeconfig.toFile().deleteOnExit();
            instance = new KubeApi(server, kubeconfig, bin);
        } catch (IOException e) {
            server.stop();
            throw new IllegalStateException(e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "kube-api-test-stop"));
        return instance;
    }

    public String kubeconfigYaml() {
        return server.getKubeConfigYaml();
    }

    public Path kubeconfig() {
        return kubeconfig;
    }

    public KubernetesClient client() {
        return new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(kubeconfigYaml())).build();
    }

    /** Installs the committed CRDs (crds/) and waits until every one is Established. */
    public void installCrds(KubernetesClient client) {
        for (var type : CrdFiles.RESOURCES) {
            CustomResourceDefinition crd = CrdFiles.committed(type);
            client.apiextensions().v1().customResourceDefinitions().resource(crd).forceConflicts()
                    .fieldManager("plinth-test").serverSideApply();
            client.apiextensions().v1().customResourceDefinitions().withName(crd.getMetadata().getName())
                    .waitUntilCondition(c -> c != null && c.getStatus() != null
                            && c.getStatus().getConditions() != null && c.getStatus().getConditions().stream().anyMatch(
                                    k -> k.getType().equals("Established") && k.getStatus().equals("True")),
                            30, TimeUnit.SECONDS);
        }
    }

    /** A fresh namespace, so tests sharing the server do not see each other's objects. */
    public String newNamespace(KubernetesClient client, String prefix) {
        String name = prefix + "-" + NAMESPACES.incrementAndGet() + "-" + ProcessHandle.current().pid();
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build())
                .create();
        return name;
    }

    /** Runs the kubectl built with the API server (not the machine's), against this server. */
    public Result kubectl(String... args) {
        List<String> cmd = new ArrayList<>(List.of(binaries.resolve("kubectl").toString(),
                "--kubeconfig", kubeconfig.toString()));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail("kubectl " + String.join(" ", args) + " did not finish in 60 s");
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public record Result(int exitCode, String output) {}
}

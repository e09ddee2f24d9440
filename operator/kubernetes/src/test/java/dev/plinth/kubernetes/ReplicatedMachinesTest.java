package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.plinth.json.Json;
import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.DiskImageResource;
import dev.plinth.kubernetes.testing.Fixtures;
import dev.plinth.kubernetes.testing.KubeApi;
import dev.plinth.testkit.IpmiSimFixture;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two operators with real machines ({@code PLINTH_DRIVER=ipmi}: the agent service, image cache and both listeners
 * each) on one API server, one real BMC ({@code ipmi_sim}) and a machine played by this test over HTTP, as the deploy
 * ramdisk and the installed OS would: both replicas end up with the same CA and agent key (from one Secret, created
 * by whichever came first), only the leader serves the machine-facing routes (the standby answers 503), and the
 * machine finds the leader as the chart's Service does, by the pod label {@code plinth.dev/leader=true}. The leader
 * is stopped while its deploy is open; the standby takes the Lease, labels its pod, loads the registry and accepts
 * the deploy's token, and the deploy completes without the machine being booted into the ramdisk again.
 */
class ReplicatedMachinesTest {
    static final String MAC = "52:54:00:0e:e0:07";
    @TempDir
    Path tmp;

    @Test
    void theStandbySharesTheKeysAnswers503AndFinishesTheLeadersDeploy() throws Exception {
        IpmiSimFixture.skipUnlessInstalled();
        KubeApi api = KubeApi.get();
        try (KubernetesClient setup = api.client(); KubernetesClient clientA = api.client();
                KubernetesClient clientB = api.client(); IpmiSimFixture bmc = IpmiSimFixture.start()) {
            api.installCrds(setup);
            String ns = api.newNamespace(setup, "replicas");
            // the pods the two operators run in (nothing schedules them here: only their labels matter)
            setup.resource(new ServiceAccountBuilder().withNewMetadata().withName("default").withNamespace(ns)
                    .endMetadata().build()).create();
            for (String pod : List.of("a", "b")) {
                setup.resource(pod(ns, pod)).create();
            }
            Path roots = Files.createDirectories(tmp.resolve("images"));
            byte[] disk = "a replicated disk image".repeat(2000).getBytes(StandardCharsets.UTF_8);
            String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(disk));
            Path file = Files.write(roots.resolve("os.raw"), disk);
            DiskImageResource image = Fixtures.image(ns, "os");
            image.getSpec().url = file.toUri().toString();
            image.getSpec().checksum = "sha256:" + sha;
            setup.resource(image).create();

            MetalConfig metalA = metal(ns, "a", roots);
            MetalConfig metalB = metal(ns, "b", roots);
            PlinthOperator.Options options = new PlinthOperator.Options(2, null, null, Duration.ofSeconds(30), 20);
            Duration lease = Duration.ofSeconds(10);
            // both at once: whichever creates the keys Secret first, the other takes its CA and key
            var startingA = CompletableFuture.supplyAsync(() -> PlinthOperator.withMachines(clientA, metalA,
                    options.withLeaderElection(ns, "a").withTestLease(lease), BareMetalNodeOperatorTest.LIFECYCLE));
            var startingB = CompletableFuture.supplyAsync(() -> PlinthOperator.withMachines(clientB, metalB,
                    options.withLeaderElection(ns, "b").withTestLease(lease), BareMetalNodeOperatorTest.LIFECYCLE));
            PlinthOperator a = startingA.join();
            PlinthOperator b = startingB.join();
            boolean aStopped = false;
            try {
                Secret keys = setup.secrets().inNamespace(ns).withName(MetalConfig.KEYS_SECRET).get();
                for (String key : List.of(ProvisioningKeys.CA_CERT, ProvisioningKeys.CA_KEY, ProvisioningKeys.AGENT_KEY)) {
                    byte[] shared = Base64.getDecoder().decode(keys.getData().get(key));
                    assertThat(Files.readAllBytes(ProvisioningKeys.file(metalA.stateDir(), key))).as(key)
                            .isEqualTo(shared);
                    assertThat(Files.readAllBytes(ProvisioningKeys.file(metalB.stateDir(), key))).as(key)
                            .isEqualTo(shared);
                }
                assertThat(new String(Base64.getDecoder().decode(keys.getData().get(ProvisioningKeys.CA_CERT)),
                        StandardCharsets.UTF_8)).contains("BEGIN CERTIFICATE");

                a.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> "a".equals(holder(setup, ns)));
                b.start();
                Map<String, PlinthOperator> byPod = Map.of("a", a, "b", b);
                await().atMost(Duration.ofSeconds(30)).until(() -> "a".equals(labelledLeader(setup, ns)));
                assertThat(label(setup, ns, "b")).isEqualTo("false");

                HttpClient http = HttpClient.newHttpClient();
                HttpClient https = HttpClient.newBuilder()
                        .sslContext(trusting(ProvisioningKeys.file(metalB.stateDir(), ProvisioningKeys.CA_CERT)))
                        .build();
                // the standby serves nothing to machines, on either listener, and says when to try again
                HttpResponse<String> standbyBoot = http.send(get(plain(b) + "/boot.ipxe"), text());
                assertThat(standbyBoot.statusCode()).isEqualTo(503);
                assertThat(standbyBoot.headers().firstValue("Retry-After")).hasValue(LeaderAgent.RETRY_AFTER);
                assertThat(https.send(form(tls(b) + "/v1/agent/checkin", "x", "x=y"), text()).statusCode())
                        .isEqualTo(503);
                assertThat(http.send(get(plain(a) + "/boot.ipxe"), text()).statusCode()).isEqualTo(200);

                setup.resource(Fixtures.credentials(ns, "bmc-m1", bmc.user(), bmc.password())).create();
                BareMetalNodeResource node = Fixtures.node(ns, "m1", 1, "os");
                node.getSpec().bmc.address = bmc.address();
                node.getSpec().bootMACAddress = MAC;
                setup.resource(node).create();
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                        .alias("power on, last status " + status(setup, ns))
                        .until(() -> bmc.ipmitoolPower().contains("on"));

                // the machine network-boots (through the leader, as the Service routes it) and starts writing
                AtomicReference<String> script = new AtomicReference<>();
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
                    PlinthOperator leader = byPod.get(labelledLeader(setup, ns));
                    script.set(http.send(get(plain(leader) + "/v1/boot/" + MAC.replace(":", "%3A") + ".ipxe"),
                            text()).body());
                    return script.get().contains("plinth.deploy=");
                });
                String deployId = arg(script.get(), "plinth.deploy");
                String token = arg(script.get(), "plinth.token");
                String checkin = arg(script.get(), "plinth.checkin");
                HttpResponse<String> instructions = https.send(HttpRequest.newBuilder(
                        URI.create(tls(a) + "/v1/agent/deploys/" + deployId))
                        .header("Authorization", "Bearer " + token).build(), text());
                assertThat(instructions.statusCode()).isEqualTo(200);
                String imagePath = URI.create((String) Json.read(instructions.body(), Map.class).get("imageUrl"))
                        .getRawPath();
                assertThat(https.send(form(tls(a) + "/v1/agent/deploys/" + deployId + "/events", token,
                        "phase=writing&bytes=0&disk=%2Fdev%2Fvda"), text()).statusCode()).isBetween(200, 204);
                String registry = registry(setup, ns);
                assertThat(registry).as("the open deploy is in the registry Secret").contains(deployId);

                // the leader goes away mid-deploy; the standby takes the Lease and its pod the label
                long stopped = System.nanoTime();
                a.close();
                aStopped = true;
                await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
                        .until(() -> "b".equals(labelledLeader(setup, ns)));
                long labelled = System.nanoTime();
                assertThat(holder(setup, ns)).isEqualTo("b");
                assertThat(label(setup, ns, "a")).as("the old leader's pod").isEqualTo("false");
                System.out.printf("takeover: pod b labelled leader %d ms after the leader stopped (lease %s)%n",
                        (labelled - stopped) / 1_000_000, lease);

                // the new leader knows the deploy and its token: the same key, the registry loaded on taking over
                assertThat(https.send(form(tls(b) + "/v1/agent/deploys/" + deployId + "/events", token,
                        "phase=writing&bytes=" + disk.length / 2), text()).statusCode()).isBetween(200, 204);
                HttpResponse<byte[]> served = https.send(HttpRequest.newBuilder(URI.create(tls(b) + imagePath))
                        .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofByteArray());
                assertThat(served.statusCode()).isEqualTo(200);
                assertThat(served.body()).isEqualTo(disk);
                assertThat(https.send(form(tls(b) + "/v1/agent/deploys/" + deployId + "/events", token,
                        "phase=written&bytes=" + disk.length + "&sha256=" + sha + "&disk=%2Fdev%2Fvda"), text())
                        .statusCode()).isBetween(200, 204);
                // (a real ramdisk powers itself off now; left on here, so that the controller's power cycle into
                // the disk does not race this test's power-off)

                // the installed OS checks in once the node was booted into its disk
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                        .alias("awaiting the check-in, last status " + status(setup, ns))
                        .until(() -> "AWAIT_CHECK_IN".equals(node(setup, ns).getStatus().step));
                assertThat(https.send(form(tls(b) + "/v1/agent/checkin", checkin, "image=os&node=" + ns
                        + "%2Fm1&ip=127.0.0.1&deploy=" + deployId), text()).statusCode()).isBetween(200, 204);
                try {
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> {
                        var s = node(setup, ns).getStatus();
                        return "PROVISIONED".equals(s.state) && s.conditions.stream().anyMatch(
                                c -> c.type.equals(NodeConditions.READY) && c.status.equals("True"));
                    });
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    throw new AssertionError("not provisioned by the new leader; status " + status(setup, ns)
                            + "\nBMC calls " + bmc.calls(), e);
                }
                var done = node(setup, ns).getStatus();
                assertThat(done.image).isEqualTo("os");
                assertThat(done.record).contains(deployId);
                // no action repeated: one boot into the ramdisk, one switch to the disk
                List<String> sets = bmc.calls().stream().filter(c -> c.startsWith("set")).toList();
                System.out.println("BMC settings over the deploy: " + sets);
                assertThat(sets).as(String.join("\n", sets)).filteredOn(c -> c.contains("boot pxe")).hasSize(1);
                assertThat(sets).as(String.join("\n", sets)).filteredOn(c -> c.startsWith("set boot"))
                        .containsExactly("set boot pxe", "set boot default");
                assertThat(Json.write(done)).doesNotContain(token).doesNotContain(checkin);
            } finally {
                b.close();
                if (!aStopped) {
                    a.close();
                }
            }
        }
    }

    private MetalConfig metal(String ns, String pod, Path roots) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(pod));
        Path kernel = Files.writeString(dir.resolve("vmlinuz"), "kernel bytes");
        Path initrd = Files.writeString(dir.resolve("initramfs.cpio.gz"), "initramfs bytes");
        int plain = freePort();
        return new MetalConfig("http://127.0.0.1:" + plain, "127.0.0.1", plain, freePort(), kernel, initrd, "",
                List.of(roots), Files.createDirectories(dir.resolve("state")), ns, "plinth-agent-registry");
    }

    private static Pod pod(String ns, String name) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(ns)
                .addToLabels("app.kubernetes.io/name", "plinth").endMetadata()
                .withNewSpec().addNewContainer().withName("operator").withImage("plinth-operator").endContainer()
                .endSpec().build();
    }

    /** The pod the chart's provisioning Service would send machines to: the one labelled leader. */
    private static String labelledLeader(KubernetesClient client, String ns) {
        List<Pod> pods = client.pods().inNamespace(ns).withLabel(LeaderPodLabel.LABEL, "true").list().getItems();
        return pods.size() == 1 ? pods.get(0).getMetadata().getName() : null;
    }

    private static String label(KubernetesClient client, String ns, String pod) {
        return client.pods().inNamespace(ns).withName(pod).get().getMetadata().getLabels().get(LeaderPodLabel.LABEL);
    }

    private static String holder(KubernetesClient client, String ns) {
        var lease = client.leases().inNamespace(ns).withName("plinth-operator").get();
        return lease == null ? null : lease.getSpec().getHolderIdentity();
    }

    private static String registry(KubernetesClient client, String ns) {
        Secret s = client.secrets().inNamespace(ns).withName("plinth-agent-registry").get();
        return s == null ? "" : new String(Base64.getDecoder().decode(s.getData().get(SecretDeployRegistryStore.KEY)),
                StandardCharsets.UTF_8);
    }

    private static BareMetalNodeResource node(KubernetesClient client, String ns) {
        return client.resources(BareMetalNodeResource.class).inNamespace(ns).withName("m1").get();
    }

    private static String status(KubernetesClient client, String ns) {
        var n = node(client, ns);
        return n == null ? null : Json.write(n.getStatus());
    }

    private static String plain(PlinthOperator o) {
        return "http://127.0.0.1:" + o.provisioningPort();
    }

    private static String tls(PlinthOperator o) {
        return "https://127.0.0.1:" + o.provisioningTlsPort();
    }

    private static String arg(String script, String name) {
        Matcher m = Pattern.compile(Pattern.quote(name) + "=(\\S+)").matcher(script);
        assertThat(m.find()).as(name + " in the deploy script").isTrue();
        return m.group(1);
    }

    private static HttpRequest get(String url) {
        return HttpRequest.newBuilder(URI.create(url)).build();
    }

    /** A form POST as busybox wget sends the agent's reports. */
    private static HttpRequest form(String url, String bearer, String body) {
        return HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + bearer)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static HttpResponse.BodyHandler<String> text() {
        return HttpResponse.BodyHandlers.ofString();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static SSLContext trusting(Path caPem) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        ks.setCertificateEntry("ca", CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(caPem))));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}

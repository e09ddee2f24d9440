package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.plinth.json.Json;
import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.DiskImageResource;
import dev.plinth.kubernetes.testing.Fixtures;
import dev.plinth.kubernetes.testing.KubeApi;
import dev.plinth.testkit.IpmiSimFixture;
import io.fabric8.kubernetes.api.model.Secret;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator driving a real BMC ({@code ipmi_sim}) on a real kube-apiserver, with the machines module's agent
 * service, image cache and both provisioning listeners: the node is powered on to network boot, iPXE's per-MAC
 * script on the plain listener points the ramdisk at the HTTPS listener with the CA as a second initrd, the agent's
 * routes answer only over HTTPS, and the deploy's tokens are in the registry Secret, never in status or Events.
 * (No machine boots: the deploy waits for an agent that never comes; the QEMU lab is where one does.)
 */
class OperatorMachinesTest {
    static final String MAC = "52:54:00:0e:e0:01";
    @TempDir
    static Path tmp;
    static KubeApi api;
    static KubernetesClient client;
    static IpmiSimFixture bmc;
    static PlinthOperator operator;
    static String ns;
    static MetalConfig metal;

    @BeforeAll
    static void start() throws Exception {
        IpmiSimFixture.skipUnlessInstalled();
        api = KubeApi.get();
        client = api.client();
        api.installCrds(client);
        ns = api.newNamespace(client, "metal");
        bmc = IpmiSimFixture.start();
        Path state = Files.createDirectories(tmp.resolve("state"));
        Path roots = Files.createDirectories(tmp.resolve("images"));
        Path kernel = Files.writeString(tmp.resolve("vmlinuz"), "kernel bytes");
        Path initrd = Files.writeString(tmp.resolve("initramfs.cpio.gz"), "initramfs bytes");
        int plain = freePort();
        int tls = freePort();
        metal = new MetalConfig("http://127.0.0.1:" + plain, "127.0.0.1", plain, tls, kernel, initrd, "", List.of(roots),
                state, ns, "plinth-agent-registry");
        operator = PlinthOperator.withMachines(client, metal,
                new PlinthOperator.Options(2, null, null, Duration.ofSeconds(30), 20),
                BareMetalNodeOperatorTest.LIFECYCLE).start();

        byte[] disk = "a disk image".repeat(1000).getBytes(StandardCharsets.UTF_8);
        Path file = Files.write(roots.resolve("os.raw"), disk);
        DiskImageResource image = Fixtures.image(ns, "os");
        image.getSpec().url = file.toUri().toString();
        image.getSpec().checksum = "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(disk));
        client.resource(image).create();
    }

    @AfterAll
    static void stop() throws Exception {
        if (operator != null) {
            operator.close();
        }
        if (bmc != null) {
            bmc.close();
        }
        if (client != null) {
            client.close();
        }
    }

    @Test
    void anIpmiNodeIsPoweredToNetworkBootAndGetsItsDeployScriptOnThePlainListener() throws Exception {
        client.resource(Fixtures.credentials(ns, "bmc-m1", bmc.user(), bmc.password())).create();
        BareMetalNodeResource node = Fixtures.node(ns, "m1", 1, "os");
        node.getSpec().bmc.address = bmc.address();
        node.getSpec().bootMACAddress = MAC;
        client.resource(node).create();

        // the BMC was told to boot from the network and to power on
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                .alias("power on, last status " + status())
                .until(() -> bmc.ipmitoolPower().contains("on"));
        assertThat(bmc.ipmitoolBootDevice()).containsIgnoringCase("pxe");

        String base = "http://127.0.0.1:" + operator.provisioningPort();
        HttpClient http = HttpClient.newHttpClient();
        // as iPXE asks for it: the MAC percent-encoded, over plain HTTP
        String url = base + "/v1/boot/" + MAC.replace(":", "%3A") + ".ipxe";
        AtomicReference<String> script = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
            script.set(http.send(HttpRequest.newBuilder(URI.create(url)).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            return script.get().contains("plinth.deploy=");
        });
        String https = "https://127.0.0.1:" + operator.provisioningTlsPort();
        assertThat(script.get()).startsWith("#!ipxe\n")
                .contains("kernel " + base + "/v1/ramdisk/vmlinuz")
                .contains(" plinth.api=https://")
                .contains("initrd " + base + "/v1/ramdisk/initramfs.cpio.gz\n")
                .contains("initrd " + base + "/v1/ramdisk/ca.cpio\n")
                // namespace/name made safe for the agent protocol
                .contains(" plinth.deploy=" + ns + "_2fm1-1-")
                .contains(" plinth.node=" + ns + "/m1");
        Matcher token = Pattern.compile("plinth\\.token=([0-9a-f]{64})").matcher(script.get());
        assertThat(token.find()).isTrue();

        // the agent's routes are not on the plain listener; on the HTTPS one (the controller CA) they answer
        HttpRequest checkin = HttpRequest.newBuilder(URI.create(base + "/v1/agent/checkin"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("x=y")).build();
        assertThat(http.send(checkin, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(404);
        HttpClient trusting = HttpClient.newBuilder().sslContext(trusting(metal.stateDir().resolve("tls/ca.pem")))
                .build();
        int overTls = trusting.send(HttpRequest.newBuilder(URI.create(https + "/v1/agent/checkin"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("x=y")).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode();
        assertThat(overTls).as("the agent route answers over HTTPS (refusing an unauthenticated check-in)")
                .isNotEqualTo(404).isBetween(400, 499);
        assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/v1/ramdisk/vmlinuz")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("kernel bytes");

        // the ramdisk's inventory report (as busybox wget posts it, over HTTPS) lands in the node's status
        Matcher deploy = Pattern.compile("plinth\\.deploy=(\\S+)").matcher(script.get());
        assertThat(deploy.find()).isTrue();
        String form = "phase=inventory&cpus=2&cpuModel=QEMU+Virtual+CPU&memoryBytes=1048576000&firmware=bios"
                + "&disk.0.name=vda&disk.0.sizeBytes=2147483648&disk.0.model=&disk.0.vendor=0x1af4"
                + "&disk.0.serial=m1-disk&disk.0.wwn=&disk.0.rotational=true&disk.0.removable=0&disk.0.readOnly=0"
                + "&nic.0.name=eth0&nic.0.mac=" + MAC.replace(":", "%3A") + "&nic.0.link=up&nic.0.speedMbps=";
        int reported = trusting.send(HttpRequest.newBuilder(URI.create(https + "/v1/agent/deploys/"
                        + deploy.group(1) + "/events"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Authorization", "Bearer " + token.group(1))
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode();
        assertThat(reported).isBetween(200, 204);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .alias("inventory in status, last status " + status())
                .until(() -> client.resources(BareMetalNodeResource.class).inNamespace(ns).withName("m1").get()
                        .getStatus().inventory != null);
        var inventory = client.resources(BareMetalNodeResource.class).inNamespace(ns).withName("m1").get()
                .getStatus().inventory;
        assertThat(inventory.deployId).isEqualTo(deploy.group(1));
        assertThat(inventory.cpus).isEqualTo(2);
        assertThat(inventory.memoryBytes).isEqualTo(1048576000L);
        assertThat(inventory.firmware).isEqualTo("bios");
        assertThat(inventory.disks).singleElement().satisfies(d -> {
            assertThat(d.name).isEqualTo("vda");
            assertThat(d.sizeBytes).isEqualTo(2147483648L);
            assertThat(d.serial).isEqualTo("m1-disk");
            assertThat(d.rotational).isTrue();
        });
        assertThat(inventory.nics).singleElement().satisfies(n -> {
            assertThat(n.mac).isEqualTo(MAC);
            assertThat(n.link).isEqualTo("up");
            assertThat(n.speedMbps).isNull();
        });

        // the registry of open deploys is in the operator's Secret; no token in status or Events
        Secret registry = client.secrets().inNamespace(ns).withName("plinth-agent-registry").get();
        assertThat(registry).isNotNull();
        String doc = new String(Base64.getDecoder().decode(registry.getData().get(SecretDeployRegistryStore.KEY)),
                StandardCharsets.UTF_8);
        assertThat(doc).contains(ns + "_2fm1-1-");
        String statusJson = Json.write(client.resources(BareMetalNodeResource.class).inNamespace(ns).withName("m1")
                .get().getStatus());
        String events = Json.write(client.v1().events().inNamespace(ns).list().getItems());
        assertThat(statusJson).contains("PROVISIONING").doesNotContain(token.group(1)).doesNotContain(bmc.password());
        assertThat(events).doesNotContain(token.group(1)).doesNotContain(bmc.password());
    }

    private static String status() {
        var n = client.resources(BareMetalNodeResource.class).inNamespace(ns).withName("m1").get();
        return n == null ? null : Json.write(n.getStatus());
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

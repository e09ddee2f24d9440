package dev.plinth.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.plinth.core.LifecycleConfig;
import dev.plinth.json.Json;
import dev.plinth.kubernetes.MetalConfig;
import dev.plinth.kubernetes.PlinthOperator;
import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.BareMetalNodeStatus;
import dev.plinth.kubernetes.crd.DiskImageResource;
import dev.plinth.kubernetes.crd.DiskImageSpec;
import dev.plinth.kubernetes.crd.RootDeviceHints;
import dev.plinth.kubernetes.testing.Fixtures;
import dev.plinth.kubernetes.testing.KubeApi;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator, on a real kube-apiserver with etcd, drives the virtual lab's QEMU machines through their
 * {@code ipmi_sim} BMCs, iPXE and the deploy ramdisk to provisioned and checked in, from custom resources and
 * Secrets as {@code kubectl apply} would create them; deleting a node's resource cleans its disk through the
 * ramdisk and powers it off before the finalizer lets the object go. Runs inside the lab's network namespace, as
 * the other *LabE2E do (the API server it starts runs there too); skips with the reason where the lab or the
 * Kubernetes binaries are missing.
 */
class OperatorLabE2E {
    private static final Duration DEPLOY = Duration.ofMinutes(8);

    @TempDir
    Path dir;
    private KubernetesClient client;
    private PlinthOperator operator;

    @BeforeAll
    static void inLab() throws Exception {
        assumeTrue(Lab.unavailable() == null, Lab.unavailable());
        Lab.fresh();
    }

    @AfterEach
    void stop() throws Exception {
        if (operator != null) {
            operator.close();
        }
        if (client != null) {
            client.close();
        }
    }

    @Test
    void customResourcesProvisionTwoMachinesAndDeletingOneCleansAndPowersItOff() throws Exception {
        KubeApi api = KubeApi.get();
        client = api.client();
        api.installCrds(client);
        String ns = api.newNamespace(client, "lab");
        Lab.Image alpha = Lab.image("alpha");

        // the guests reach 127.0.0.1:8080 and :8443 in the lab's namespace as 10.0.2.2
        MetalConfig metal = new MetalConfig("http://10.0.2.2:8080", "127.0.0.1", 8080, 8443,
                Lab.DIR.resolve("ramdisk/vmlinuz"), Lab.DIR.resolve("ramdisk/initramfs.cpio.gz"), "console=ttyS0",
                List.of(Lab.DIR.resolve("images")), Files.createDirectories(dir.resolve("state")), ns,
                "plinth-agent-registry");
        operator = PlinthOperator.withMachines(client, metal,
                new PlinthOperator.Options(4, null, null, Duration.ofMinutes(5), 20), LifecycleConfig.DEFAULT).start();

        DiskImageResource image = Fixtures.image(ns, "alpha");
        image.getSpec().url = alpha.url("gz");
        image.getSpec().checksum = "sha256:" + alpha.sha256();
        image.getSpec().compression = DiskImageSpec.Compression.GZ;
        client.resource(image).create();
        for (int vm = 1; vm <= 2; vm++) {
            client.resource(Fixtures.credentials(ns, "bmc-vm" + vm, "admin", Lab.bmcPassword(vm))).create();
            client.resource(labNode(ns, vm)).create();
        }

        // 1. both machines: PXE, ramdisk over HTTPS, written, verified, disk boot, check-in; Ready in status
        for (int vm = 1; vm <= 2; vm++) {
            String name = "vm" + vm;
            awaitNode(ns, name, "Ready", () -> ready(status(ns, name)));
        }
        for (int vm = 1; vm <= 2; vm++) {
            BareMetalNodeStatus s = status(ns, "vm" + vm);
            assertThat(s.state).isEqualTo("PROVISIONED");
            assertThat(s.image).isEqualTo("alpha");
            assertThat(s.imageVerified).isTrue();
            assertThat(s.bootDevice).isEqualTo("DISK");
            assertThat(Lab.diskSha256(vm, alpha.size())).as("disk of vm%d", vm).isEqualTo(alpha.sha256());
            assertThat(Lab.serialLog(vm)).contains("PLINTH-IMAGE=alpha")
                    .contains("HTTPS to https://plinth-controller:8443, verified against the controller CA")
                    .contains("PLINTH-CHECKIN=ok");
            assertThat(Lab.ipmitoolPower(vm)).isEqualTo("on");
            // the ramdisk's hardware report, in the resource's status
            Lab.assertInventoryIsWhatQemuWasStartedWith(vm,
                    new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(s.inventory));
            System.out.println("vm" + vm + " under the operator, step timings (ms): " + s.stepMillis);
        }
        // no BMC password in any status or Event of the namespace
        String everything = Json.write(client.resources(BareMetalNodeResource.class).inNamespace(ns).list())
                + Json.write(client.v1().events().inNamespace(ns).list().getItems());
        for (int vm = 1; vm <= 2; vm++) {
            assertThat(everything).doesNotContain(Lab.bmcPassword(vm));
        }

        // 2. vm1's resource deleted: the finalizer holds it while the ramdisk wipes the disk, then it is powered off
        client.resources(BareMetalNodeResource.class).inNamespace(ns).withName("vm1").delete();
        awaitNode(ns, "vm1", "cleaned, powered off and gone", () -> gone(ns, "vm1"));
        assertThat(Lab.ipmitoolPower(1)).isEqualTo("off");
        // the disk's first MiB (the MBR) and its FAT partition's first MiB (from sector 2048: its boot sector)
        assertThat(Lab.diskSha256(1, 2 << 20)).as("the first 2 MiB of vm1's disk, wiped")
                .isEqualTo(Lab.sha256OfZeros(2 << 20));
        assertThat(Lab.ipmitoolPower(2)).isEqualTo("on");
        assertThat(Lab.diskSha256(2, alpha.size())).isEqualTo(alpha.sha256());
    }

    /** Waits for a node's condition; a timeout says what the node's status was then. */
    private void awaitNode(String ns, String name, String what, java.util.concurrent.Callable<Boolean> condition) {
        try {
            await().atMost(DEPLOY).pollInterval(Duration.ofSeconds(2)).until(condition);
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError(name + " not " + what + " within " + DEPLOY + "; its status: "
                    + statusJson(ns, name), e);
        }
    }

    private static BareMetalNodeResource labNode(String ns, int vm) {
        BareMetalNodeResource node = Fixtures.node(ns, "vm" + vm, vm, "alpha");
        node.getSpec().bmc.address = "ipmi://127.0.0.1:" + Lab.bmcPort(vm);
        node.getSpec().bmc.credentialsName = "bmc-vm" + vm;
        node.getSpec().bootMACAddress = Lab.mac(vm);
        node.getSpec().rootDeviceHints = new RootDeviceHints();
        node.getSpec().rootDeviceHints.deviceName = "/dev/vda";
        node.getSpec().rootDeviceHints.serialNumber = "plinth-vm" + vm + "-disk";
        node.getSpec().rootDeviceHints.minSizeGigabytes = 1;
        return node;
    }

    private BareMetalNodeStatus status(String ns, String name) {
        BareMetalNodeResource n = client.resources(BareMetalNodeResource.class).inNamespace(ns).withName(name).get();
        return n == null ? null : n.getStatus();
    }

    private boolean gone(String ns, String name) {
        return client.resources(BareMetalNodeResource.class).inNamespace(ns).withName(name).get() == null;
    }

    private String statusJson(String ns, String name) {
        BareMetalNodeStatus s = status(ns, name);
        return s == null ? "none" : Json.write(s);
    }

    private static boolean ready(BareMetalNodeStatus s) {
        return s != null && s.conditions.stream().anyMatch(c -> c.type.equals("Ready") && c.status.equals("True"));
    }
}

package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.kubernetes.crd.CrdFiles;
import dev.plinth.kubernetes.testing.KubeApi;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The committed CRDs on a real kube-apiserver: they install, the examples apply, bad objects are refused. */
class CrdApiServerTest {
    static KubeApi api;
    static KubernetesClient client;
    static String ns;

    @BeforeAll
    static void start() {
        api = KubeApi.get();
        client = api.client();
        api.installCrds(client);
        ns = api.newNamespace(client, "crds");
    }

    @AfterAll
    static void close() {
        if (client != null) {
            client.close();
        }
    }

    @Test
    void theExamplesFromGitApplyUnmodifiedAndGetBmnShowsThePrinterColumns() {
        Path examples = CrdFiles.repoRoot().resolve("examples");
        var applied = api.kubectl("apply", "-n", ns, "-R", "-f", examples.toString());
        assertThat(applied.exitCode()).as(applied.output()).isZero();
        assertThat(applied.output()).contains("baremetalnode.plinth.dev/controller-0 created",
                "diskimage.plinth.dev/centos-stream-9 created", "cloud.plinth.dev/overcloud created");

        var get = api.kubectl("get", "bmn", "-n", ns);
        assertThat(get.exitCode()).as(get.output()).isZero();
        String header = get.output().lines().findFirst().orElseThrow();
        assertThat(header.split("\\s+")).containsExactly("NAME", "STATE", "POWER", "IMAGE", "REVISION", "AGE");
        assertThat(get.output()).contains("undercloud-0", "compute-2");
    }

    @Test
    void inlineCredentialsAreRefusedWithTheRuleMessage(@TempDir Path dir) throws IOException {
        var r = apply(dir, node("inline", "ipmi://10.9.0.1", "52:54:00:aa:00:01", "\n    password: hunter2"));
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("inline BMC credentials are refused: put username and password in the"
                + " Secret named by credentialsName");
    }

    @Test
    void virtualMediaNeedsARedfishAddressAndDeployNetworkNeedsVirtualMedia(@TempDir Path dir) throws IOException {
        var ipmi = apply(dir, node("vm-ipmi", "ipmi://10.9.0.5", "52:54:00:aa:00:05", "\n    bootMethod: virtualMedia"));
        assertThat(ipmi.exitCode()).isNotZero();
        assertThat(ipmi.output()).contains("bootMethod virtualMedia needs a BMC with virtual media");

        var pxe = apply(dir, node("vm-pxe", "ipmi://10.9.0.6", "52:54:00:aa:00:06",
                "\n    deployNetwork: {address: 192.0.2.10/24}"));
        assertThat(pxe.exitCode()).isNotZero();
        assertThat(pxe.output()).contains("deployNetwork is used only with bootMethod virtualMedia");

        var badAddress = apply(dir, node("vm-bad", "redfish+https://10.9.0.7/redfish/v1/Systems/1",
                "52:54:00:aa:00:07", "\n    bootMethod: virtualMedia\n    deployNetwork: {address: 192.0.2.10}"));
        assertThat(badAddress.exitCode()).isNotZero();
        assertThat(badAddress.output()).contains("spec.bmc.deployNetwork.address", "should match");

        var ok = apply(dir, node("vm-ok", "redfish+https://10.9.0.8/redfish/v1/Systems/1", "52:54:00:aa:00:08",
                "\n    bootMethod: virtualMedia\n    deployNetwork: {address: 192.0.2.10/24, gateway: 192.0.2.1}"));
        assertThat(ok.exitCode()).as(ok.output()).isZero();
    }

    @Test
    void malformedMacAndMissingFieldsAreRefused(@TempDir Path dir) throws IOException {
        var r = apply(dir, node("badmac", "ipmi://10.9.0.2", "52:54:00:zz:00:01", ""));
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("spec.bootMACAddress", "should match");

        var missing = apply(dir, """
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: nobmc}
                spec: {bootMACAddress: "52:54:00:aa:00:03"}
                """);
        assertThat(missing.output()).contains("spec.bmc: Required value");
    }

    @Test
    void credentialsInTheAddressAreRefused(@TempDir Path dir) throws IOException {
        var r = apply(dir, node("userinfo", "ipmi://admin:pw@10.9.0.4", "52:54:00:aa:00:04", ""));
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("spec.bmc.address", "should match");
    }

    @Test
    void imageChecksumAndEnumsAreChecked(@TempDir Path dir) throws IOException {
        var r = apply(dir, """
                apiVersion: plinth.dev/v1alpha1
                kind: DiskImage
                metadata: {name: bad}
                spec: {url: "http://x/y.raw", checksum: "md5:abc", format: vmdk, compression: bz2}
                """);
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("spec.checksum", "should match", "spec.format: Unsupported value: \"vmdk\"",
                "spec.compression: Unsupported value: \"bz2\"");
    }

    @Test
    void cloudRangesEmptySelectorsAndDuplicateRolesAreRefused(@TempDir Path dir) throws IOException {
        var r = apply(dir, """
                apiVersion: plinth.dev/v1alpha1
                kind: Cloud
                metadata: {name: bad}
                spec:
                  roles:
                    - {name: a, count: -1, image: {name: x}, nodeSelector: {matchLabels: {}}}
                    - {name: a, count: 1, image: {name: x}, healthCheck: {tcpPort: 70000}}
                """);
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.output()).contains("spec.roles[0].count", "should be greater than or equal to 0",
                "an empty nodeSelector is refused", "role names must be unique in a cloud",
                "spec.roles[1].healthCheck.tcpPort");
    }

    @Test
    void aNegativePauseAndAnUnknownDriftPolicyAreRefusedAndTheRolloutFieldsOfGitAreAccepted(@TempDir Path dir)
            throws IOException {
        var bad = apply(dir, """
                apiVersion: plinth.dev/v1alpha1
                kind: Cloud
                metadata: {name: zero}
                spec:
                  roles:
                    - {name: d, count: 2, image: {name: x}, rollout: {pauseSeconds: -1}}
                """);
        assertThat(bad.exitCode()).isNotZero();
        // (maxUnavailable is checked by the operator: FleetRolloutOperatorTest)
        assertThat(bad.output()).contains("spec.roles[0].rollout.pauseSeconds", "should be greater than or equal to 0");
        var good = apply(dir, """
                apiVersion: plinth.dev/v1alpha1
                kind: Cloud
                metadata: {name: full}
                spec:
                  drift: report
                  roles:
                    - name: compute
                      count: 4
                      image: {name: x}
                      failureDomainLabel: rack
                      rollout: {maxUnavailable: "25%", pauseSeconds: 30, partitionLabel: side, maxFailures: 1}
                      healthCheck: {checkIn: true, tcpPort: 22, httpPort: 8080, httpPath: /healthz,
                                    host: "{node}.lab.example", timeoutSeconds: 300}
                      drift: heal
                """);
        assertThat(good.exitCode()).as(good.output()).isZero();
        var drift = apply(dir, """
                apiVersion: plinth.dev/v1alpha1
                kind: Cloud
                metadata: {name: sometimes}
                spec:
                  drift: ignore
                  roles:
                    - {name: d, count: 2, image: {name: x}, drift: Heal}
                """);
        assertThat(drift.exitCode()).isNotZero();
        assertThat(drift.output()).contains("spec.drift: Unsupported value: \"ignore\"",
                "spec.roles[0].drift: Unsupported value: \"Heal\"");
    }

    private static String node(String name, String address, String mac, String extraBmc) {
        return "apiVersion: plinth.dev/v1alpha1\nkind: BareMetalNode\nmetadata: {name: " + name + "}\nspec:\n"
                + "  bmc:\n    address: \"" + address + "\"\n    credentialsName: bmc-x" + extraBmc + "\n"
                + "  bootMACAddress: \"" + mac + "\"\n";
    }

    private static KubeApi.Result apply(Path dir, String yaml) throws IOException {
        Path f = Files.createTempFile(dir, "doc", ".yaml");
        Files.writeString(f, yaml);
        return api.kubectl("apply", "-n", ns, "-f", f.toString());
    }
}

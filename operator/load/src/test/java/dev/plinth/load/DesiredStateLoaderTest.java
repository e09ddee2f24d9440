package dev.plinth.load;

import dev.plinth.core.fleet.RoleResolver;

import dev.plinth.core.Problem;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.BmcAddress;
import dev.plinth.api.BmcSpec;
import dev.plinth.api.CloudRole;
import dev.plinth.api.Compression;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImageSpec;
import dev.plinth.api.HealthCheck;
import dev.plinth.api.ImageFormat;
import dev.plinth.api.LabelSelector;
import dev.plinth.api.ResourceRef;
import dev.plinth.api.RolloutPolicy;
import dev.plinth.api.RootDeviceHints;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DesiredStateLoaderTest {
    private static final String SHA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    /** The fleet mixes IPMI and Redfish BMCs. */
    private final DesiredStateLoader loader = new DesiredStateLoader(BmcSupports.forDriver("fake"));

    private static Path fleet() throws URISyntaxException {
        return Path.of(Objects.requireNonNull(DesiredStateLoaderTest.class.getResource("/valid/fleet")).toURI());
    }

    private DesiredState loadFleet() throws IOException, URISyntaxException {
        LoadResult result = loader.load("abc123", DesiredStateLoader.readDirectory(fleet()));
        assertThat(result.problems()).isEmpty();
        assertThat(result.isOk()).isTrue();
        return result.state();
    }

    @Test
    void loadsMultiFileFleetWithDefaults() throws Exception {
        DesiredState state = loadFleet();

        assertThat(state.revision()).isEqualTo("abc123");
        assertThat(state.images()).containsOnlyKeys("centos-9", "rhel-9");
        assertThat(state.images().get("centos-9").spec()).isEqualTo(new DiskImageSpec(
                "http://images.example/centos-9.raw.gz", "sha256:" + SHA, ImageFormat.RAW, Compression.GZ));
        // Uppercase hex is normalised; compression defaults to none.
        assertThat(state.images().get("rhel-9").spec()).isEqualTo(new DiskImageSpec(
                "file:///srv/images/rhel-9.qcow2", "sha256:abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789",
                ImageFormat.QCOW2, Compression.NONE));
        assertThat(state.images().get("rhel-9").metadata().labels()).isEqualTo(Map.of("os", "rhel"));

        // Document order across sorted files: nodes/compute.yml before nodes/control.yaml.
        assertThat(state.nodes()).containsOnlyKeys("compute-0", "compute-1", "controller-0", "spare-0");
        assertThat(state.nodes().keySet()).containsExactly("compute-0", "compute-1", "controller-0", "spare-0");

        BareMetalNode c0 = state.nodes().get("compute-0");
        assertThat(c0.metadata().labels()).isEqualTo(Map.of("role", "compute", "rack", "r1"));
        assertThat(c0.spec().bmc()).isEqualTo(BmcSpec.of(
                "redfish+https://10.0.0.10/redfish/v1/Systems/1", "bmc-compute-0", true));
        assertThat(c0.spec().bootMACAddress()).isEqualTo("52:54:00:00:00:0a");
        assertThat(c0.spec().online()).isFalse();
        assertThat(c0.spec().image()).isNull();
        assertThat(c0.spec().rootDeviceHints())
                .isEqualTo(new RootDeviceHints("/dev/sda", null, null, null, null, 20, false));

        BareMetalNode c1 = state.nodes().get("compute-1");
        assertThat(c1.spec().bootMACAddress()).as("unquoted MAC read as text").isEqualTo("52:54:00:00:00:01");
        assertThat(c1.spec().online()).isTrue();
        assertThat(c1.spec().bmc().disableCertificateVerification()).isFalse();
        assertThat(c1.spec().rootDeviceHints()).isSameAs(RootDeviceHints.NONE);
        assertThat(state.nodes().get("controller-0").spec().image()).isEqualTo(new ResourceRef("rhel-9"));

        List<CloudRole> roles = state.clouds().get("overcloud").spec().roles();
        assertThat(roles).containsExactly(
                new CloudRole("compute", 2, new LabelSelector(Map.of("role", "compute")),
                        new ResourceRef("centos-9"), new RolloutPolicy("25%"), new HealthCheck(false, 22, 300)),
                new CloudRole("controller", 1, new LabelSelector(Map.of("role", "controller")),
                        new ResourceRef("centos-9"), new RolloutPolicy("1", 30, "side", 1), HealthCheck.DEFAULT,
                        "rack", null),
                new CloudRole("spare", 0, null, new ResourceRef("centos-9"), RolloutPolicy.DEFAULT,
                        HealthCheck.DEFAULT));
    }

    @Test
    void resolvesImagesForNodes() throws Exception {
        DesiredState state = loadFleet();

        // Through the compute role's selector.
        assertThat(RoleResolver.imageFor(state, state.nodes().get("compute-1"))).contains(state.images().get("centos-9"));
        // The node's own image wins over its role's.
        assertThat(RoleResolver.imageFor(state, state.nodes().get("controller-0"))).contains(state.images().get("rhel-9"));
        // No labels, no image: the selector-less spare role does not claim it.
        assertThat(RoleResolver.imageFor(state, state.nodes().get("spare-0"))).isEmpty();
    }

    @Test
    void theAddressIsParsedOnceHereWithTheSchemeInAnyCase() {
        LoadResult result = new DesiredStateLoader(BmcSupports.forDriver("ipmi")).load("r", List.of(
                new SourceFile("n.yaml", """
                        apiVersion: plinth.dev/v1alpha1
                        kind: BareMetalNode
                        metadata: {name: node-0}
                        spec:
                          bmc: {address: "IPMI://BMC-0.Lab?bootMode=uefi", credentialsName: s0}
                          bootMACAddress: "52:54:00:00:00:01"
                        """)));
        assertThat(result.problems()).isEmpty();
        BmcAddress address = result.state().nodes().get("node-0").spec().bmc().address();
        assertThat(address.text()).isEqualTo("IPMI://BMC-0.Lab?bootMode=uefi");
        assertThat(address.scheme()).isEqualTo("ipmi");
        assertThat(address.host()).isEqualTo("bmc-0.lab");
        assertThat(address.port()).isEqualTo(623);
        assertThat(address.options()).isEqualTo(Map.of("bootMode", "uefi"));
    }

    @Test
    void aRedfishNodeMayBootFromVirtualMediaWithAStaticDeployAddress() {
        LoadResult result = new DesiredStateLoader(BmcSupports.forDriver("ipmi")).load("r", List.of(
                new SourceFile("n.yaml", """
                        apiVersion: plinth.dev/v1alpha1
                        kind: BareMetalNode
                        metadata: {name: node-0}
                        spec:
                          bmc:
                            address: "redfish+https://10.0.0.10/redfish/v1/Systems/1"
                            credentialsName: s0
                            bootMethod: virtualMedia
                            deployNetwork: {address: 192.0.2.10/24, gateway: 192.0.2.1}
                          bootMACAddress: "52:54:00:00:00:01"
                        ---
                        apiVersion: plinth.dev/v1alpha1
                        kind: BareMetalNode
                        metadata: {name: node-1}
                        spec:
                          bmc: {address: "ipmi://10.0.0.11", credentialsName: s1}
                          bootMACAddress: "52:54:00:00:00:02"
                        """)));
        assertThat(result.problems()).isEmpty();
        BmcSpec bmc = result.state().nodes().get("node-0").spec().bmc();
        assertThat(bmc.bootMethod()).isEqualTo(dev.plinth.api.BootMethod.VIRTUAL_MEDIA);
        assertThat(bmc.deployNetwork()).isEqualTo(new dev.plinth.api.DeployNetwork("192.0.2.10/24", "192.0.2.1"));
        // the default: network boot, no static address
        BmcSpec pxe = result.state().nodes().get("node-1").spec().bmc();
        assertThat(pxe.bootMethod()).isEqualTo(dev.plinth.api.BootMethod.PXE);
        assertThat(pxe.deployNetwork()).isNull();
    }

    @Test
    void theSameFleetIsValidForRealMachinesNowThatTheyDriveRedfish() throws Exception {
        LoadResult result = new DesiredStateLoader(BmcSupports.forDriver("ipmi"))
                .load("abc123", DesiredStateLoader.readDirectory(fleet()));
        assertThat(result.problems()).isEmpty();
        assertThat(result.state().nodes().get("compute-0").spec().bmc().address().scheme()).isEqualTo("redfish+https");
    }

    @Test
    void reportsEveryProblemOfARevisionTogether() throws IOException {
        List<SourceFile> files = List.of(
                InvalidCorpusTest.source("syntax-error.yaml"),
                new SourceFile("images.yaml", """
                        apiVersion: plinth.dev/v1alpha1
                        kind: DiskImage
                        metadata: {name: centos-9}
                        spec:
                          url: gopher://images.example/centos-9.raw
                          checksum: sha256:abc
                        """),
                new SourceFile("nodes/a.yaml", """
                        apiVersion: plinth.dev/v1alpha1
                        kind: BareMetalNode
                        metadata: {name: node-0}
                        spec:
                          bmc: {address: "ipmi://10.0.0.1", credentialsName: s0}
                          bootMACAddress: "52:54:00:00:00:01"
                          image: {name: centos-8}
                        """),
                new SourceFile("nodes/b.yaml", """
                        apiVersion: plinth.dev/v1alpha1
                        kind: BareMetalNode
                        metadata: {name: node-0}
                        spec:
                          bmc: {address: "ipmi://10.0.0.1:623", credentialsName: s1, password: x}
                          bootMACAddress: "52:54:00:00:00:01"
                        """));

        LoadResult result = loader.load("r", files);

        assertThat(result.isOk()).isFalse();
        assertThat(result.problems()).extracting(p -> p.file() + ":" + p.line() + " " + p.path()).containsExactly(
                "images.yaml:5 spec.url",
                "images.yaml:6 spec.checksum",
                "nodes/a.yaml:7 spec.image.name",
                "nodes/b.yaml:3 metadata.name",
                "nodes/b.yaml:5 spec.bmc.password",
                "nodes/b.yaml:5 spec.bmc.address",
                "nodes/b.yaml:6 spec.bootMACAddress",
                "syntax-error.yaml:5 ");
        assertThat(result.problems().get(3).message()).contains("already defined at nodes/a.yaml:3");
        assertThat(result.problems().get(5).message()).contains("node \"node-0\" at nodes/a.yaml:5");
        assertThat(result.problems().get(6).message()).contains("node \"node-0\" at nodes/a.yaml:6");
    }

    @Test
    void rolesOfTwoCloudsInTwoFilesThatSelectOneNodeAreRefusedNamingBoth() {
        String image = """
                apiVersion: plinth.dev/v1alpha1
                kind: DiskImage
                metadata: {name: centos-9}
                spec: {url: "http://images.example/c.raw", checksum: "sha256:%s"}
                ---
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: n0, labels: {rack: r1, role: compute}}
                spec: {bmc: {address: "ipmi://10.0.0.1", credentialsName: b}, bootMACAddress: "52:54:00:00:00:01"}
                """.formatted(SHA);
        String cloud = """
                apiVersion: plinth.dev/v1alpha1
                kind: Cloud
                metadata: {name: %s}
                spec:
                  roles:
                    - name: %s
                      count: 1
                      nodeSelector: {matchLabels: %s}
                      image: {name: centos-9}
                """;
        LoadResult result = loader.load("r", List.of(new SourceFile("a.yaml", image),
                new SourceFile("clouds/over.yaml", cloud.formatted("overcloud", "compute", "{role: compute}")),
                new SourceFile("clouds/under.yaml", cloud.formatted("undercloud", "rack1", "{rack: r1}"))));

        assertThat(result.problems()).hasSize(1);
        Problem p = result.problems().get(0);
        assertThat(p.file()).isEqualTo("clouds/under.yaml");
        assertThat(p.line()).isEqualTo(8);
        assertThat(p.message()).isEqualTo("role \"rack1\" of cloud \"undercloud\" selects node \"n0\" that role"
                + " \"compute\" of cloud \"overcloud\" at clouds/over.yaml:8 selects too: expected each node to be"
                + " selected by at most one role");

        // Disjoint selectors load, and each role gets its own node.
        LoadResult ok = loader.load("r", List.of(new SourceFile("a.yaml", image),
                new SourceFile("clouds/over.yaml", cloud.formatted("overcloud", "compute", "{role: compute}")),
                new SourceFile("clouds/under.yaml", cloud.formatted("undercloud", "rack2", "{rack: r2}"))));
        assertThat(ok.problems()).isEmpty();
    }

    @Test
    void aNamespaceInMetadataIsKeptAndOneRevisionServesOneNamespace() {
        String image = """
                apiVersion: plinth.dev/v1alpha1
                kind: DiskImage
                metadata: {name: centos-9%s}
                spec: {url: "http://images.example/c.raw", checksum: "sha256:%s"}
                """;
        String node = """
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: n0, namespace: fleet}
                spec: {bmc: {address: "ipmi://10.0.0.1", credentialsName: b}, bootMACAddress: "52:54:00:00:00:01"}
                """;
        LoadResult ok = loader.load("r", List.of(new SourceFile("image.yaml", image.formatted("", SHA)),
                new SourceFile("node.yaml", node)));
        assertThat(ok.problems()).isEmpty();
        assertThat(ok.state().nodes().get("n0").metadata().namespace()).isEqualTo("fleet");
        assertThat(ok.state().images().get("centos-9").metadata().namespace()).isNull();

        LoadResult two = loader.load("r", List.of(new SourceFile("node.yaml", node),
                new SourceFile("image.yaml", image.formatted(", namespace: other", SHA))));
        assertThat(two.problems()).singleElement().satisfies(p -> {
            assertThat(p.file()).isEqualTo("image.yaml");
            assertThat(p.line()).isEqualTo(3);
            assertThat(p.path()).isEqualTo("metadata.namespace");
            assertThat(p.message()).isEqualTo("namespace \"other\" differs from \"fleet\" at node.yaml:3: expected"
                    + " one namespace per revision in standalone mode (one repository path per namespace)");
        });
    }

    @Test
    void emptyRevisionIsAnEmptyState() {
        LoadResult result = loader.load("r0", List.of(
                new SourceFile("empty.yaml", ""),
                new SourceFile("separators.yaml", "---\n# nothing here\n---\n")));

        assertThat(result.isOk()).isTrue();
        assertThat(result.state()).isEqualTo(DesiredState.empty("r0"));
        assertThat(loader.load("r1", List.of()).state()).isEqualTo(DesiredState.empty("r1"));
    }

    @Test
    void ignoresFilesThatAreNotYaml() {
        LoadResult result = loader.load("r", List.of(new SourceFile("notes.txt", "kind: [")));

        assertThat(result.isOk()).isTrue();
    }

    @Test
    void readsAnyLayoutSkippingHiddenFiles(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("b/deep"));
        Files.createDirectories(root.resolve(".git/objects"));
        Files.writeString(root.resolve("b/deep/z.yml"), "z");
        Files.writeString(root.resolve("a.yaml"), "a");
        Files.writeString(root.resolve("b/c.YAML"), "c");
        Files.writeString(root.resolve("b/readme.md"), "not yaml");
        Files.writeString(root.resolve(".hidden.yaml"), "hidden");
        Files.writeString(root.resolve(".git/objects/x.yaml"), "hidden");

        List<SourceFile> files = DesiredStateLoader.readDirectory(root);

        assertThat(files).containsExactly(
                new SourceFile("a.yaml", "a"),
                new SourceFile("b/c.YAML", "c"),
                new SourceFile("b/deep/z.yml", "z"));
    }

    @Test
    void aDriftPolicyIsTheRolesElseTheCloudsElseHeal() {
        String docs = """
                apiVersion: plinth.dev/v1alpha1
                kind: DiskImage
                metadata: {name: centos-9}
                spec: {url: "http://images.example/c.raw", checksum: "sha256:%s"}
                ---
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: n0, labels: {role: db}}
                spec: {bmc: {address: "ipmi://10.0.0.1", credentialsName: b}, bootMACAddress: "52:54:00:00:00:01"}
                ---
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: n1, labels: {role: web}}
                spec: {bmc: {address: "ipmi://10.0.0.2", credentialsName: b}, bootMACAddress: "52:54:00:00:00:02"}
                ---
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: n2}
                spec: {bmc: {address: "ipmi://10.0.0.3", credentialsName: b}, bootMACAddress: "52:54:00:00:00:03"}
                ---
                apiVersion: plinth.dev/v1alpha1
                kind: Cloud
                metadata: {name: prod}
                spec:
                  drift: report
                  roles:
                    - {name: db, count: 1, nodeSelector: {matchLabels: {role: db}}, image: {name: centos-9}}
                    - {name: web, count: 1, nodeSelector: {matchLabels: {role: web}}, image: {name: centos-9},
                       drift: heal}
                """.formatted(SHA);
        LoadResult result = loader.load("r", List.of(new SourceFile("a.yaml", docs)));
        assertThat(result.problems()).isEmpty();
        var state = result.state();
        assertThat(state.clouds().get("prod").spec().drift()).isEqualTo(dev.plinth.api.DriftPolicy.REPORT);
        assertThat(dev.plinth.core.fleet.RoleResolver.driftPolicyFor(state, state.nodes().get("n0")))
                .isEqualTo(dev.plinth.api.DriftPolicy.REPORT);
        assertThat(dev.plinth.core.fleet.RoleResolver.driftPolicyFor(state, state.nodes().get("n1")))
                .isEqualTo(dev.plinth.api.DriftPolicy.HEAL);
        assertThat(dev.plinth.core.fleet.RoleResolver.driftPolicyFor(state, state.nodes().get("n2")))
                .isEqualTo(dev.plinth.api.DriftPolicy.HEAL);
    }
}

package dev.plinth.load;

import dev.plinth.core.Problem;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each file under {@code invalid/} breaks exactly one rule; the loader must reject it with exactly one problem at
 * the expected line and field path, whose message names what is wrong and what is expected.
 */
class InvalidCorpusTest {

    /** @param driver whose BMC address rules apply: ipmi (what {@code plinth validate} checks by default) or fake */
    record Case(String file, int line, String path, String message, String driver) {
        Case(String file, int line, String path, String message) {
            this(file, line, path, message, "ipmi");
        }

        @Override
        public String toString() {
            return file;
        }
    }

    static final List<Case> CASES = List.of(
            new Case("syntax-error.yaml", 5, "", "invalid YAML: while parsing a block mapping"),
            new Case("billion-laughs.yaml", 0, "", "Number of aliases for non-scalar nodes exceeds"),
            new Case("java-tag.yaml", 5, "", "Global tag is not allowed"),
            new Case("document-is-list.yaml", 1, "",
                    "document is a list: expected a mapping with apiVersion, kind, metadata and spec"),
            new Case("document-is-scalar.yaml", 2, "",
                    "document is the string \"just some text\": expected a mapping with apiVersion"),
            new Case("unknown-kind.yaml", 2, "kind", "unknown kind \"BaremetalNode\": expected one of DiskImage,"
                    + " BareMetalNode, Cloud; did you mean \"BareMetalNode\"?"),
            new Case("missing-api-version.yaml", 1, "apiVersion",
                    "missing required field \"apiVersion\": expected \"plinth.dev/v1alpha1\""),
            new Case("wrong-api-version.yaml", 1, "apiVersion",
                    "unsupported apiVersion \"metal3.io/v1alpha1\": expected \"plinth.dev/v1alpha1\""),
            new Case("unknown-field-typo.yaml", 14, "spec.bootMacAddress",
                    "unknown field \"bootMacAddress\": did you mean \"bootMACAddress\"?"),
            new Case("unknown-field-nested.yaml", 5, "metadata.annotations",
                    "unknown field \"annotations\": expected one of namespace, name, labels"),
            new Case("unknown-field-in-role.yaml", 17, "spec.roles[0].rollout.maxUnavaliable",
                    "unknown field \"maxUnavaliable\": did you mean \"maxUnavailable\"?"),
            new Case("unknown-field-root-hints.yaml", 17, "spec.rootDeviceHints.minSizeGB",
                    "unknown field \"minSizeGB\": expected one of deviceName, model, vendor, serialNumber, wwn,"
                            + " minSizeGigabytes, rotational"),
            new Case("duplicate-key.yaml", 7, "spec.url",
                    "duplicate field \"url\": already set on line 5"),
            new Case("missing-required-field.yaml", 5, "spec.bmc.credentialsName",
                    "missing required field \"credentialsName\": expected the name of the secret"),
            new Case("missing-metadata-name.yaml", 3, "metadata.name",
                    "missing required field \"name\": expected a DNS-1123 name"),
            new Case("invalid-name.yaml", 3, "metadata.name",
                    "invalid name \"Over_Cloud\": expected a DNS-1123 name"),
            new Case("invalid-namespace.yaml", 3, "metadata.namespace",
                    "invalid namespace \"Fleet_A\": expected a Kubernetes namespace (a DNS-1123 label)"),
            new Case("label-value-not-string.yaml", 6, "metadata.labels.tier",
                    "wrong type: expected a string value, got a list"),
            new Case("wrong-type-string-for-int.yaml", 15, "spec.roles[0].count",
                    "wrong type: expected an integer >= 0, got the string \"two\""),
            new Case("wrong-type-bool.yaml", 15, "spec.online",
                    "wrong type: expected true or false, got the string \"maybe\""),
            new Case("wrong-type-mapping.yaml", 5, "spec.bmc",
                    "wrong type: expected a mapping with address and credentialsName, got the string"),
            new Case("malformed-mac.yaml", 14, "spec.bootMACAddress", "malformed MAC address \"52:54:00:zz:00:01\":"
                    + " expected six hex pairs separated by ':' like 52:54:00:00:00:01"),
            new Case("malformed-checksum.yaml", 6, "spec.checksum",
                    "malformed checksum \"sha256:0123456789abcdef\": expected sha256: followed by 64 hex digits"),
            new Case("checksum-wrong-algorithm.yaml", 6, "spec.checksum",
                    "unsupported checksum algorithm \"md5\": expected sha256: followed by 64 hex digits"),
            new Case("unknown-bmc-scheme.yaml", 13, "spec.bmc.address",
                    "unsupported BMC address scheme \"idrac\": no power driver in this build serves it (supported:"
                            + " ipmi, redfish+http, redfish+https); expected one of"
                            + " ipmi://host[:port][?bootMode=uefi|legacy],"
                            + " redfish+http://host[:port]/redfish/v1/Systems/<id>[?bootMode=uefi|legacy] or"
                            + " redfish+https://host[:port]/redfish/v1/Systems/<id>[?bootMode=uefi|legacy]"),
            new Case("redfish-collection-path.yaml", 13, "spec.bmc.address",
                    "BMC address path /redfish/v1/Systems does not name one Redfish system: expected"
                            + " /redfish/v1/Systems/<id> (redfish+https://host[:port]/redfish/v1/Systems/<id>"
                            + "[?bootMode=uefi|legacy])"),
            new Case("redfish-without-path.yaml", 13, "spec.bmc.address",
                    "BMC address has no Redfish system path: expected"
                            + " redfish+https://host[:port]/redfish/v1/Systems/<id>[?bootMode=uefi|legacy] like"
                            + " redfish+https://10.0.0.11/redfish/v1/Systems/1", "fake"),
            new Case("ipmi-bad-boot-mode.yaml", 13, "spec.bmc.address",
                    "unsupported bootMode \"pxe\": expected uefi or legacy"),
            new Case("ipmi-unknown-option.yaml", 13, "spec.bmc.address",
                    "unknown IPMI address option \"privilege\": expected only bootMode"
                            + " (ipmi://host[:port][?bootMode=uefi|legacy])"),
            new Case("ipmi-with-path.yaml", 13, "spec.bmc.address",
                    "BMC address has a path (/redfish/v1/Systems/1), but IPMI takes none: expected"
                            + " ipmi://host[:port][?bootMode=uefi|legacy]"),
            new Case("bmc-port-out-of-range.yaml", 13, "spec.bmc.address",
                    "BMC address \"ipmi://10.0.0.11:70000\" has port 70000 out of range: expected a port 1-65535"),
            new Case("credentials-in-bmc-address.yaml", 13, "spec.bmc.address",
                    "credentials are not allowed in the BMC address: put them in a secret"),
            new Case("virtual-media-ipmi.yaml", 8, "spec.bmc.bootMethod",
                    "bootMethod virtualMedia needs a BMC with virtual media, and ipmi:// has none: use a Redfish"
                            + " address (redfish+http:// or redfish+https://) or bootMethod pxe"),
            new Case("bad-boot-method.yaml", 8, "spec.bmc.bootMethod",
                    "unknown bootMethod \"usb\": expected pxe (the default) or virtualMedia"),
            new Case("deploy-network-without-virtual-media.yaml", 9, "spec.bmc.deployNetwork",
                    "deployNetwork is used only with bootMethod virtualMedia"),
            new Case("deploy-network-gateway-outside.yaml", 11, "spec.bmc.deployNetwork.gateway",
                    "gateway 198.51.100.1 is not in the subnet of address 192.0.2.10/24: the node could not reach it"),
            new Case("deploy-network-no-prefix.yaml", 10, "spec.bmc.deployNetwork.address",
                    "address '192.0.2.300/24' is not an IPv4 address with a prefix length 1-32, like 192.0.2.10/24"),
            new Case("bad-image-url-scheme.yaml", 5, "spec.url",
                    "unsupported image URL scheme \"ftp\": expected http://, https:// or file://"),
            new Case("bad-format.yaml", 7, "spec.format", "unsupported format \"vmdk\": expected one of raw, qcow2"),
            new Case("bad-compression.yaml", 7, "spec.compression",
                    "unsupported compression \"bzip2\": expected one of none, gz, xz, zst"),
            new Case("duplicate-image-name.yaml", 11, "metadata.name",
                    "duplicate DiskImage name \"centos-9\": already defined at duplicate-image-name.yaml:3"),
            new Case("duplicate-node-name.yaml", 27, "metadata.name",
                    "duplicate BareMetalNode name \"compute-0\": already defined at duplicate-node-name.yaml:11"),
            new Case("duplicate-mac.yaml", 22, "spec.bootMACAddress", "boot MAC address 52:54:00:aa:00:01 is"
                    + " already used by node \"compute-0\" at duplicate-mac.yaml:14"),
            new Case("duplicate-bmc-address.yaml", 21, "spec.bmc.address",
                    "(ipmi://bmc-0.example:623) as node \"compute-0\" at duplicate-bmc-address.yaml:13"),
            new Case("unknown-node-image.yaml", 15, "spec.image.name",
                    "unknown DiskImage \"centos-8\": expected the name of a DiskImage in this revision;"
                            + " did you mean \"centos-9\"?"),
            new Case("unknown-role-image.yaml", 16, "spec.roles[0].image.name",
                    "unknown DiskImage \"rhel-9\": expected the name of a DiskImage in this revision"),
            new Case("negative-count.yaml", 15, "spec.roles[0].count",
                    "-1 is out of range: expected an integer >= 0"),
            new Case("inline-password.yaml", 16, "spec.bmc.password",
                    "put the username and password in a secret and reference it with credentialsName"),
            new Case("inline-username.yaml", 15, "spec.bmc.username",
                    "put the username and password in a secret and reference it with credentialsName"),
            new Case("bad-max-unavailable-percent.yaml", 17, "spec.roles[0].rollout.maxUnavailable",
                    "invalid maxUnavailable \"150%\": expected an integer >= 1 or a percentage from 1% to 100%"),
            new Case("bad-drift-policy.yaml", 17, "spec.roles[0].drift",
                    "unsupported drift \"heel\": expected one of heal, report"),
            new Case("bad-max-unavailable-negative.yaml", 17, "spec.roles[0].rollout.maxUnavailable",
                    "-2 is out of range: expected an integer >= 1 or a percentage from 1% to 100%"),
            new Case("max-unavailable-zero.yaml", 17, "spec.roles[0].rollout.maxUnavailable",
                    "maxUnavailable 0 would never let a node of the role change image (bare metal has no spare"
                    + " machine to surge onto); expected an integer >= 1"),
            new Case("duplicate-role-name.yaml", 20, "spec.roles[2].name",
                    "duplicate role name \"compute\": already used by spec.roles[0] at line 14"),
            new Case("empty-node-selector.yaml", 16, "spec.roles[0].nodeSelector",
                    "empty nodeSelector: it would select no node (not every node); expected matchLabels with at"
                            + " least one label"),
            new Case("overlapping-role-selectors.yaml", 38, "spec.roles[1].nodeSelector",
                    "role \"gpu\" of cloud \"overcloud\" selects node \"gpu-0\" (and 1 more) that role"
                            + " \"compute\" of cloud \"overcloud\" at overlapping-role-selectors.yaml:34 selects"
                            + " too: expected each node to be selected by at most one role"),
            new Case("bad-health-check-port.yaml", 17, "spec.roles[0].healthCheck.tcpPort",
                    "70000 is out of range: expected a TCP port from 1 to 65535"),
            new Case("bad-health-check-timeout.yaml", 17, "spec.roles[0].healthCheck.timeoutSeconds",
                    "0 is out of range: expected a number of seconds > 0"),
            new Case("bad-health-check-http-path.yaml", 17, "spec.roles[0].healthCheck.httpPath",
                    "httpPath \"healthz\" is not absolute: expected a path starting with /, like /healthz"));

    static Stream<Case> cases() {
        return CASES.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rejectsWithOneProblemAtTheOffendingNode(Case c) throws IOException {
        LoadResult result = new DesiredStateLoader(BmcSupports.forDriver(c.driver()))
                .load("test", List.of(source(c.file())));

        assertThat(result.isOk()).as("loaded although invalid").isFalse();
        assertThat(result.state()).isNull();
        assertThat(result.problems()).as("exactly one problem, no cascade").hasSize(1);
        Problem problem = result.problems().get(0);
        assertThat(problem.file()).isEqualTo(c.file());
        assertThat(problem.line()).as("line of %s", problem).isEqualTo(c.line());
        assertThat(problem.path()).as("path of %s", problem).isEqualTo(c.path());
        assertThat(problem.message()).contains(c.message());
    }

    @Test
    void neverEchoesSecrets() throws IOException {
        for (String file : List.of("inline-password.yaml", "credentials-in-bmc-address.yaml")) {
            LoadResult result = new DesiredStateLoader(BmcSupports.forDriver("ipmi"))
                    .load("test", List.of(source(file)));
            assertThat(result.problems()).isNotEmpty();
            assertThat(result.problems()).allSatisfy(p -> assertThat(p.toString())
                    .doesNotContain("hunter2").doesNotContain("s3cret"));
        }
    }

    @Test
    void everyCorpusFileHasAnExpectation() throws IOException, URISyntaxException {
        Path dir = Path.of(Objects.requireNonNull(getClass().getResource("/invalid")).toURI());
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).collect(Collectors.toSet()))
                    .containsExactlyInAnyOrderElementsOf(CASES.stream().map(Case::file).toList());
        }
    }

    static SourceFile source(String name) throws IOException {
        try (var in = Objects.requireNonNull(InvalidCorpusTest.class.getResourceAsStream("/invalid/" + name), name)) {
            return SourceFile.of(name, in.readAllBytes());
        }
    }
}

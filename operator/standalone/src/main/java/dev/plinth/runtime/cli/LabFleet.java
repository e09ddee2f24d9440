package dev.plinth.runtime.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The lab variant of examples/: the same undercloud/overcloud shape on the virtual lab's machines (e2e/lab),
 * with their BMC ports, MACs and the test images built there.
 */
final class LabFleet {
    private LabFleet() {}

    static final String FIRST_IMAGE = "alpha";
    static final String SECOND_IMAGE = "beta";

    /** Writes the fleet into {@code target}; VM 1 is the undercloud, VM 2 a controller, VM 3 a compute node. */
    static void write(Path labDir, Path target) throws IOException {
        Files.createDirectories(target.resolve("undercloud"));
        Files.createDirectories(target.resolve("overcloud"));
        Files.writeString(target.resolve("images.yaml"), image(labDir, FIRST_IMAGE) + "---\n" + image(labDir, SECOND_IMAGE));
        Files.writeString(target.resolve("undercloud/undercloud.yaml"),
                node("undercloud-0", 1, "undercloud", "  image: {name: " + FIRST_IMAGE + "}\n"));
        Files.writeString(target.resolve("overcloud/nodes.yaml"),
                node("controller-0", 2, "controller", "") + "---\n" + node("compute-0", 3, "compute", ""));
        Files.writeString(target.resolve("overcloud/cloud.yaml"), """
                apiVersion: plinth.dev/v1alpha1
                kind: Cloud
                metadata: {name: overcloud}
                spec:
                  roles:
                    - name: controller
                      count: 1
                      nodeSelector: {matchLabels: {role: controller}}
                      image: {name: %1$s}
                    - name: compute
                      count: 1
                      nodeSelector: {matchLabels: {role: compute}}
                      image: {name: %1$s}
                """.formatted(FIRST_IMAGE));
    }

    private static String image(Path labDir, String name) throws IOException {
        Path sums = labDir.resolve("images").resolve(name + ".sha256");
        if (!Files.exists(sums)) {
            throw new IOException("no test image " + name + " in " + labDir + ": run e2e/lab/build-test-image.sh " + name);
        }
        java.util.Properties p = new java.util.Properties();
        try (var in = Files.newBufferedReader(sums)) {
            p.load(in);
        }
        String sha = p.getProperty("sha256");
        return """
                apiVersion: plinth.dev/v1alpha1
                kind: DiskImage
                metadata: {name: %s}
                spec:
                  url: %s
                  checksum: sha256:%s
                  compression: gz
                """.formatted(name, labDir.resolve("images").resolve(name + ".raw.gz").toUri(), sha);
    }

    private static String node(String name, int vm, String role, String image) {
        return """
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata:
                  name: %s
                  labels: {role: %s}
                spec:
                  bmc: {address: "ipmi://127.0.0.1:%d", credentialsName: bmc-%s}
                  bootMACAddress: "52:54:00:6c:ab:0%d"
                  rootDeviceHints: {deviceName: /dev/vda}
                %s""".formatted(name, role, 9001 + vm, name, vm, image);
    }

    /** The BMC password of the VM a node of this fleet runs on. */
    static String password(Path labDir, String node) throws IOException {
        int vm = switch (node) {
            case "undercloud-0" -> 1;
            case "controller-0" -> 2;
            default -> 3;
        };
        return Files.readString(labDir.resolve("vms/vm" + vm + "/bmc-password")).trim();
    }
}

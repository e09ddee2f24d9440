package dev.plinth.e2e;

import java.util.LinkedHashMap;
import java.util.Map;

/** Desired-state documents for end-to-end tests. */
final class Fleet {
    private Fleet() {}

    /** Writes {@link #secrets} to {@code file}, owner-only: the controller refuses a looser secrets file. */
    static void writeSecrets(java.nio.file.Path file, int count, String password) throws java.io.IOException {
        java.nio.file.Files.writeString(file, secrets(count, password));
        java.nio.file.Files.setPosixFilePermissions(file,
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }

    static String image(String name, char digit) {
        return """
                apiVersion: plinth.dev/v1alpha1
                kind: DiskImage
                metadata: {name: %s}
                spec:
                  url: http://images.e2e.internal/%s.raw.gz
                  checksum: sha256:%s
                  compression: gz
                """.formatted(name, name, String.valueOf(digit).repeat(64));
    }

    static String node(int i, String image, String mac) {
        return """
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: node-%d, labels: {role: compute}}
                spec:
                  bmc: {address: "ipmi://10.1.0.%d:623", credentialsName: bmc-node-%d}
                  bootMACAddress: "%s"
                  image: {name: %s}
                """.formatted(i, i + 1, i, mac, image);
    }

    static String mac(int i) {
        return String.format("52:54:00:e2:00:%02x", i);
    }

    /** {@code fleet/images.yaml} and {@code fleet/nodes.yaml} with nodes 0..count-1 on {@code image}. */
    static Map<String, String> files(int count, String image) {
        StringBuilder nodes = new StringBuilder();
        for (int i = 0; i < count; i++) {
            nodes.append("---\n").append(node(i, image, mac(i)));
        }
        Map<String, String> files = new LinkedHashMap<>();
        files.put("fleet/images.yaml", image("centos", 'a') + "---\n" + image("rocky", 'b'));
        files.put("fleet/nodes.yaml", nodes.toString());
        files.put("README.md", "not a document: ignored\n");
        return files;
    }

    static String secrets(int count, String password) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < count; i++) {
            sb.append("bmc-node-").append(i).append(": {username: admin, password: \"").append(password)
                    .append("\"}\n");
        }
        return sb.toString();
    }
}

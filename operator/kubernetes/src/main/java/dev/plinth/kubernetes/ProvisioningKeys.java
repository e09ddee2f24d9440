package dev.plinth.kubernetes;

import dev.plinth.files.PrivateFiles;
import dev.plinth.tls.ControllerCa;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller CA and the agent's token key, shared by every replica through one Secret of the operator's
 * namespace: machines trust the CA and hold tokens made with the key, so whichever replica leads must have the same
 * ones. The first replica to find no Secret creates it (create, not apply: of two racing, the second's create fails
 * and it takes the first's); every replica then writes the Secret's material where the machines module reads it,
 * {@code tls/ca.pem}, {@code tls/ca.key} and {@code agent.key} of the state directory (owner-only files, as
 * standalone keeps them). A state directory that already holds a CA and key (one replica before this Secret
 * existed) seeds the Secret, so installed machines keep their CA and running deploys their tokens.
 * The material is never logged.
 */
final class ProvisioningKeys {
    private static final Logger LOG = LoggerFactory.getLogger(ProvisioningKeys.class);
    static final String CA_CERT = "ca.pem";
    static final String CA_KEY = "ca.key";
    static final String AGENT_KEY = "agent.key";
    private static final List<String> KEYS = List.of(CA_CERT, CA_KEY, AGENT_KEY);
    private static final int AGENT_KEY_BYTES = 32;

    private ProvisioningKeys() {}

    /** Where the machines module reads each Secret key from, under the state directory. */
    static Path file(Path stateDir, String key) {
        return key.equals(AGENT_KEY) ? stateDir.resolve(AGENT_KEY) : stateDir.resolve("tls").resolve(key);
    }

    /**
     * Makes the state directory hold the Secret's CA and agent key, creating the Secret first when there is none.
     *
     * @throws IllegalStateException when the Secret exists without one of its keys (the message says what to do)
     */
    static void install(KubernetesClient client, String namespace, String name, Path stateDir) {
        try {
            Secret secret = client.secrets().inNamespace(namespace).withName(name).get();
            if (secret == null) {
                secret = create(client, namespace, name, local(stateDir));
            } else {
                LOG.info("controller CA and agent key from Secret {}/{}", namespace, name);
            }
            write(material(secret, namespace, name), stateDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the controller CA and agent key in " + stateDir + ": "
                    + e.getMessage(), e);
        }
    }

    /** The state directory's CA and agent key, made there first when missing. */
    private static Map<String, byte[]> local(Path stateDir) throws IOException {
        PrivateFiles.directory(stateDir);
        ControllerCa.loadOrCreate(stateDir.resolve("tls"), Clock.systemUTC());
        Path key = stateDir.resolve(AGENT_KEY);
        if (!Files.exists(key) || Files.size(key) < AGENT_KEY_BYTES) {
            byte[] bytes = new byte[AGENT_KEY_BYTES];
            new SecureRandom().nextBytes(bytes);
            Files.write(PrivateFiles.file(key), bytes);
        }
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (String k : KEYS) {
            m.put(k, Files.readAllBytes(file(stateDir, k)));
        }
        return m;
    }

    /** Creates the Secret from {@code candidate}; when another replica created it meanwhile, theirs. */
    private static Secret create(KubernetesClient client, String namespace, String name, Map<String, byte[]> candidate) {
        Map<String, String> data = new LinkedHashMap<>();
        candidate.forEach((k, v) -> data.put(k, Base64.getEncoder().encodeToString(v)));
        Secret s = new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace)
                .addToLabels("app.kubernetes.io/managed-by", "plinth").endMetadata()
                .withType("Opaque").withData(data).build();
        try {
            Secret created = client.secrets().inNamespace(namespace).resource(s).create();
            LOG.info("controller CA and agent key kept in the new Secret {}/{}", namespace, name);
            return created;
        } catch (KubernetesClientException e) {
            if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
                throw e;
            }
            // another replica came first: its material is the one
            LOG.info("controller CA and agent key from Secret {}/{} (another replica created it first)", namespace,
                    name);
            Secret theirs = client.secrets().inNamespace(namespace).withName(name).get();
            if (theirs == null) {
                throw new IllegalStateException("Secret " + namespace + "/" + name + " was created by another replica"
                        + " and is gone again; restart to make a new one");
            }
            return theirs;
        }
    }

    private static Map<String, byte[]> material(Secret s, String namespace, String name) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (String k : KEYS) {
            String v = s.getData() == null ? null : s.getData().get(k);
            if (v == null || v.isBlank()) {
                throw new IllegalStateException("Secret " + namespace + "/" + name + " has no key " + k + ": it holds"
                        + " the controller CA (" + CA_CERT + ", " + CA_KEY + ") and the agent's token key ("
                        + AGENT_KEY + "); delete it to have new ones made (installed machines then see a new CA and"
                        + " running deploys are redone)");
            }
            m.put(k, Base64.getDecoder().decode(v));
        }
        return m;
    }

    /** Writes each file whose content differs, owner-only; the CA key before its certificate, as ControllerCa does. */
    private static void write(Map<String, byte[]> m, Path stateDir) throws IOException {
        PrivateFiles.directory(stateDir);
        PrivateFiles.directory(stateDir.resolve("tls"));
        for (String k : List.of(CA_KEY, CA_CERT, AGENT_KEY)) {
            Path f = file(stateDir, k);
            if (Files.exists(f) && Arrays.equals(Files.readAllBytes(f), m.get(k))) {
                continue;
            }
            Files.write(PrivateFiles.file(f), m.get(k));
        }
    }
}

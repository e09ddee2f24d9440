package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plinth.kubernetes.testing.KubeApi;
import dev.plinth.tls.ControllerCa;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The controller CA and agent key kept in one Secret on a real API server, for every replica. */
class ProvisioningKeysTest {
    private static final List<String> KEYS = List.of(ProvisioningKeys.CA_CERT, ProvisioningKeys.CA_KEY,
            ProvisioningKeys.AGENT_KEY);
    @TempDir
    Path tmp;

    @Test
    void aStateDirectoryFromBeforeSeedsTheSecretAndEveryOtherReplicaGetsItsMaterial() throws Exception {
        KubeApi api = KubeApi.get();
        try (KubernetesClient client = api.client()) {
            String ns = api.newNamespace(client, "keys");
            // one replica's state from before the Secret: its CA is what installed machines trust
            Path old = tmp.resolve("old");
            String oldCa = ControllerCa.loadOrCreate(old.resolve("tls"), Clock.systemUTC()).certificatePem();
            byte[] oldKey = new byte[32];
            new java.security.SecureRandom().nextBytes(oldKey);
            Files.write(old.resolve("agent.key"), oldKey);
            Files.setPosixFilePermissions(old.resolve("agent.key"), PosixFilePermissions.fromString("rw-------"));

            ProvisioningKeys.install(client, ns, "keys", old);
            Secret secret = client.secrets().inNamespace(ns).withName("keys").get();
            assertThat(decode(secret, ProvisioningKeys.CA_CERT)).isEqualTo(oldCa.getBytes());
            assertThat(decode(secret, ProvisioningKeys.AGENT_KEY)).isEqualTo(oldKey);

            // a new replica, and one whose state directory holds another CA: both take the Secret's
            Path fresh = tmp.resolve("fresh");
            Path other = tmp.resolve("other");
            ControllerCa.loadOrCreate(other.resolve("tls"), Clock.systemUTC());
            for (Path dir : List.of(fresh, other)) {
                ProvisioningKeys.install(client, ns, "keys", dir);
                for (String key : KEYS) {
                    assertThat(Files.readAllBytes(ProvisioningKeys.file(dir, key))).as(dir + " " + key)
                            .isEqualTo(decode(secret, key));
                    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
                            ProvisioningKeys.file(dir, key)))).as(key).isEqualTo("rw-------");
                }
            }
            // and the machines module reads it back as the same CA
            assertThat(ControllerCa.loadOrCreate(other.resolve("tls"), Clock.systemUTC()).certificatePem())
                    .isEqualTo(oldCa);
        }
    }

    @Test
    void aSecretWithoutOneOfItsKeysIsAnErrorSayingWhatToDo() throws Exception {
        KubeApi api = KubeApi.get();
        try (KubernetesClient client = api.client()) {
            String ns = api.newNamespace(client, "keys");
            Path dir = tmp.resolve("a");
            ProvisioningKeys.install(client, ns, "keys", dir);
            client.secrets().inNamespace(ns).withName("keys").edit(s -> {
                s.getData().remove(ProvisioningKeys.AGENT_KEY);
                return s;
            });
            byte[] before = Files.readAllBytes(ProvisioningKeys.file(dir, ProvisioningKeys.AGENT_KEY));
            assertThatThrownBy(() -> ProvisioningKeys.install(client, ns, "keys", dir))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("Secret " + ns + "/keys has no key agent.key")
                    .hasMessageContaining("delete it");
            assertThat(Files.readAllBytes(ProvisioningKeys.file(dir, ProvisioningKeys.AGENT_KEY))).isEqualTo(before);
        }
    }

    private static byte[] decode(Secret s, String key) {
        return Base64.getDecoder().decode(s.getData().get(key));
    }
}

package dev.plinth.kubernetes;

import dev.plinth.store.DeployRegistryStore;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;

/**
 * The agent service's registry of open deploys (deploy ids, boot MACs, token serials) in one Secret of the
 * operator's namespace: it says which tokens are live, so it is kept where RBAC keeps secrets, never in a node's
 * status or an Event. Written whole, by server-side apply as field manager {@code plinth}, on every change.
 */
final class SecretDeployRegistryStore implements DeployRegistryStore {
    static final String KEY = "registry.json";
    private final KubernetesClient client;
    private final String namespace;
    private final String name;

    SecretDeployRegistryStore(KubernetesClient client, String namespace, String name) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
    }

    @Override
    public Optional<String> loadDeployRegistry() {
        Secret s = client.secrets().inNamespace(namespace).withName(name).get();
        if (s == null || s.getData() == null || s.getData().get(KEY) == null) {
            return Optional.empty();
        }
        return Optional.of(new String(Base64.getDecoder().decode(s.getData().get(KEY)), StandardCharsets.UTF_8));
    }

    @Override
    public void saveDeployRegistry(String document) {
        Secret s = new SecretBuilder().withNewMetadata().withName(name).withNamespace(namespace)
                .addToLabels("app.kubernetes.io/managed-by", "plinth").endMetadata()
                .withType("Opaque")
                .withData(Map.of(KEY, Base64.getEncoder().encodeToString(document.getBytes(StandardCharsets.UTF_8))))
                .build();
        client.secrets().inNamespace(namespace).resource(s).fieldManager(NodeStatusWriter.FIELD_MANAGER)
                .forceConflicts().serverSideApply();
    }
}

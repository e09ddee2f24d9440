package dev.plinth.kubernetes;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.javaoperatorsdk.operator.processing.event.ResourceID;

/**
 * A node's identity in the core: {@code namespace/name}, as in Kubernetes, so that two namespaces may each have a
 * {@code compute-0}. The core, the drivers and the agent service know nodes by this one string.
 */
public final class NodeKey {
    private NodeKey() {}

    public static String of(String namespace, String name) {
        return namespace + "/" + name;
    }

    public static String of(HasMetadata resource) {
        return of(resource.getMetadata().getNamespace(), resource.getMetadata().getName());
    }

    /** The resource a key names; a key without a namespace part is not one of ours. */
    public static ResourceID toResourceId(String key) {
        int slash = key.indexOf('/');
        if (slash <= 0) {
            throw new IllegalArgumentException("not a namespace/name node key: " + key);
        }
        return new ResourceID(key.substring(slash + 1), key.substring(0, slash));
    }
}

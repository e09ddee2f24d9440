package dev.plinth.api;

import java.util.Map;

/**
 * Namespace, name and labels of a resource, as in Kubernetes metadata.
 *
 * @param namespace the Kubernetes namespace; null when the document names none (standalone mode serves one
 *     namespace per revision; the operator puts an object without one in the namespace it is applied to)
 */
public record ObjectMeta(String namespace, String name, Map<String, String> labels) {
    public ObjectMeta {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** Metadata without a namespace. */
    public ObjectMeta(String name, Map<String, String> labels) {
        this(null, name, labels);
    }

    public static ObjectMeta named(String name) {
        return new ObjectMeta(null, name, Map.of());
    }
}

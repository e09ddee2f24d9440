package dev.plinth.api;

import java.util.Map;

/** Name and labels of a resource, as in Kubernetes metadata. */
public record ObjectMeta(String name, Map<String, String> labels) {
    public ObjectMeta {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    public static ObjectMeta named(String name) {
        return new ObjectMeta(name, Map.of());
    }
}

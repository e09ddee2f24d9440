package dev.plinth.api;

import java.util.Map;

/** Selects resources whose labels include every {@code matchLabels} entry. */
public record LabelSelector(Map<String, String> matchLabels) {
    public LabelSelector {
        matchLabels = matchLabels == null ? Map.of() : Map.copyOf(matchLabels);
    }

    public boolean matches(Map<String, String> labels) {
        return labels.entrySet().containsAll(matchLabels.entrySet());
    }
}

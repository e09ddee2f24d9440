package dev.plinth.diff;

import java.util.List;

/**
 * One resource that a revision adds, removes or changes, and what Plinth will do about it.
 *
 * @param fields changed fields as {@code path: old -> new}
 * @param consequence what the controller will do to the machine, in words ("reprovision with rocky-9")
 */
public record Change(Kind kind, String resourceKind, String name, List<String> fields, String consequence) {
    public enum Kind { ADD, REMOVE, CHANGE }

    public Change {
        fields = List.copyOf(fields);
    }

    public String symbol() {
        return switch (kind) {
            case ADD -> "+";
            case REMOVE -> "-";
            case CHANGE -> "~";
        };
    }
}

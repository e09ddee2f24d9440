package dev.plinth.api;

import java.util.List;

/** @param drift the drift policy of the cloud's nodes, unless their role sets its own; null for the default (heal) */
public record CloudSpec(List<CloudRole> roles, DriftPolicy drift) {
    public CloudSpec {
        roles = List.copyOf(roles);
    }

    public CloudSpec(List<CloudRole> roles) {
        this(roles, null);
    }
}

package dev.plinth.api;

import java.util.List;

public record CloudSpec(List<CloudRole> roles) {
    public CloudSpec {
        roles = List.copyOf(roles);
    }
}

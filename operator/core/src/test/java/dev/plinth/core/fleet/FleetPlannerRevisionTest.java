package dev.plinth.core.fleet;

import static dev.plinth.core.fleet.RolloutWorld.V1;
import static dev.plinth.core.fleet.RolloutWorld.V2;
import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.Cloud;
import dev.plinth.api.CloudRole;
import dev.plinth.api.CloudSpec;
import dev.plinth.api.DesiredState;
import dev.plinth.api.HealthCheck;
import dev.plinth.api.LabelSelector;
import dev.plinth.api.ObjectMeta;
import dev.plinth.api.Resource;
import dev.plinth.api.ResourceRef;
import dev.plinth.api.RolloutPolicy;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The host names each cloud's revision (operator mode: each Cloud resource has its own); a role's rollout carries
 * its own cloud's revision, and the desired state's revision stays the default (standalone: one commit).
 */
class FleetPlannerRevisionTest {
    private final Instant now = Instant.parse("2026-12-01T00:00:00Z");

    private static DesiredState twoClouds() {
        return DesiredState.of("commit-1", List.<Resource>of(V1, V2,
                RolloutWorld.node("a-0", Map.of("cloud", "a")), RolloutWorld.node("b-0", Map.of("cloud", "b")),
                cloud("a", "os-v1"), cloud("b", "os-v2")));
    }

    private static Cloud cloud(String name, String image) {
        return new Cloud(ObjectMeta.named(name), new CloudSpec(List.of(new CloudRole("r", 1,
                new LabelSelector(Map.of("cloud", name)), new ResourceRef(image), new RolloutPolicy("1"),
                HealthCheck.DEFAULT))));
    }

    @Test
    void eachCloudsRolloutCarriesTheRevisionTheHostGivesIt() {
        FleetPlanner.FleetPlan p = FleetPlanner.plan(twoClouds(), Map.of(), Map.of(), Map.of(), now,
                c -> c.name().equals("a") ? "generation-3" : "abc123");
        assertThat(p.states().get("a/r").targetRevision()).isEqualTo("generation-3");
        assertThat(p.states().get("b/r").targetRevision()).isEqualTo("abc123");
        assertThat(p.images()).containsEntry("a-0", V1).containsEntry("b-0", V2);
    }

    @Test
    void withoutOneEveryCloudHasTheDesiredStatesRevision() {
        FleetPlanner.FleetPlan p = FleetPlanner.plan(twoClouds(), Map.of(), Map.of(), Map.of(), now);
        assertThat(p.states().values()).extracting(RolloutState::targetRevision).containsOnly("commit-1");
    }
}

package dev.plinth.core.fleet;

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
import dev.plinth.core.NodeRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Planning cost per fleet pass at 10,000 nodes in 100 roles (docs/benchmarks.md): every node settled, every role
 * stable, then one role image changed. Asserts what the plan says at that scale and prints the time per pass (a
 * figure for docs/benchmarks.md, not asserted: a timed assertion fails on a loaded machine, not on a slow planner).
 */
class FleetPlannerScaleTest {
    static DesiredState fleet(String rev, String image0) {
        List<Resource> r = new ArrayList<>(List.of(RolloutWorld.V1, RolloutWorld.V2));
        List<CloudRole> roles = new ArrayList<>();
        for (int role = 0; role < 100; role++) {
            roles.add(new CloudRole("r" + role, 100, new LabelSelector(Map.of("tier", "r" + role)),
                    new ResourceRef(role == 0 ? image0 : "os-v1"), new RolloutPolicy("10%"), HealthCheck.DEFAULT));
            for (int i = 0; i < 100; i++) {
                r.add(RolloutWorld.node("n" + role + "-" + i, Map.of("tier", "r" + role)));
            }
        }
        r.add(new Cloud(ObjectMeta.named("c"), new CloudSpec(roles)));
        return DesiredState.of(rev, r);
    }

    @Test
    void tenThousandNodesInAHundredRolesAreAFixedPointAndAnImageChangeAdmitsOneBatch() {
        DesiredState a = fleet("a", "os-v1");
        Map<String, NodeRecord> records = new HashMap<>();
        a.nodes().keySet().forEach(n -> records.put(n, RolloutWorld.settled(n, RolloutWorld.V1)));
        Instant now = Instant.parse("2026-12-01T00:00:00Z");
        FleetPlanner.FleetPlan p = FleetPlanner.plan(a, records, Map.of(), Map.of(), now);
        assertThat(p.states().values()).allSatisfy(s -> assertThat(s.phase()).isEqualTo(RolloutState.Phase.STABLE));
        for (int i = 0; i < 5; i++) { // warm up
            p = FleetPlanner.plan(a, records, Map.of(), p.states(), now);
        }
        assertThat(FleetPlanner.plan(a, records, Map.of(), p.states(), now).states())
                .as("a settled fleet is a fixed point").isEqualTo(p.states());
        int passes = 20;
        long t0 = System.nanoTime();
        for (int i = 0; i < passes; i++) {
            p = FleetPlanner.plan(a, records, Map.of(), p.states(), now);
        }
        double steadyMs = (System.nanoTime() - t0) / 1e6 / passes;
        long tr = System.nanoTime();
        for (int i = 0; i < passes; i++) {
            RoleResolver.resolve(a);
        }
        System.out.printf("of which RoleResolver.resolve: %.1f ms%n", (System.nanoTime() - tr) / 1e6 / passes);
        DesiredState b = fleet("b", "os-v2");
        long t1 = System.nanoTime();
        FleetPlanner.FleetPlan q = FleetPlanner.plan(b, records, Map.of(), p.states(), now);
        double changeMs = (System.nanoTime() - t1) / 1e6;
        assertThat(q.states().get("c/r0").admitted()).hasSize(10);
        assertThat(q.images()).hasSize(10_000);
        System.out.printf("fleet plan, 10000 nodes in 100 roles: %.1f ms per steady pass, %.1f ms for the pass"
                + " that starts a rollout%n", steadyMs, changeMs);
    }
}

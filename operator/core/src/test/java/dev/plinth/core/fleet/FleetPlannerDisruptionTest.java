package dev.plinth.core.fleet;

import static dev.plinth.core.fleet.RolloutWorld.V1;
import static dev.plinth.core.fleet.RolloutWorld.V2;
import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.Cloud;
import dev.plinth.api.CloudRole;
import dev.plinth.api.CloudSpec;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.api.HealthCheck;
import dev.plinth.api.LabelSelector;
import dev.plinth.api.ObjectMeta;
import dev.plinth.api.Resource;
import dev.plinth.api.ResourceRef;
import dev.plinth.api.RolloutPolicy;
import dev.plinth.core.DisruptionGate;
import dev.plinth.core.ImageRef;
import dev.plinth.core.NodeLifecycle;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Moves out of a role and image-drift heals through the whole fleet plan: each counts against its role's
 * {@code maxUnavailable} like a rollout batch, with the rollout's own admissions in the same budget.
 */
class FleetPlannerDisruptionTest {
    private final Instant now = Instant.parse("2026-12-01T00:00:00Z");
    private final Map<String, NodeRecord> records = new HashMap<>();
    private Map<String, RolloutState> states = Map.of();

    /** Roles web (count 3) on {@code webImage} and db (count 2), maxUnavailable 1; nodes by tier label. */
    private static DesiredState fleet(String rev, DiskImage webImage, Map<String, String> tiers) {
        List<Resource> r = new ArrayList<>(List.of(V1, V2));
        tiers.forEach((n, tier) -> r.add(RolloutWorld.node(n, Map.of("tier", tier))));
        r.add(new Cloud(ObjectMeta.named("c"), new CloudSpec(List.of(
                new CloudRole("web", 3, new LabelSelector(Map.of("tier", "web")), new ResourceRef(webImage.name()),
                        new RolloutPolicy("1"), HealthCheck.DEFAULT),
                new CloudRole("db", 2, new LabelSelector(Map.of("tier", "db")), new ResourceRef("os-v1"),
                        new RolloutPolicy("1"), HealthCheck.DEFAULT)))));
        return DesiredState.of(rev, r);
    }

    private void serving(String node, String role) {
        records.put(node, RolloutWorld.settled(node, V1).toBuilder().role(role).build());
    }

    private FleetPlanner.FleetPlan plan(DesiredState d) {
        FleetPlanner.FleetPlan p = FleetPlanner.plan(d, records, Map.of(), states, now);
        states = p.states();
        return p;
    }

    private static Map<String, String> tiers(String... pairs) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m;
    }

    @Test
    void twoNodesMovingOutOfARoleLeaveItOneAtATime() {
        List.of("n0", "n1", "n2").forEach(n -> serving(n, "c/web"));
        assertThat(plan(fleet("r1", V1, tiers("n0", "web", "n1", "web", "n2", "web"))).states().get("c/web").phase())
                .isEqualTo(RolloutState.Phase.STABLE);
        // n0 and n1 relabelled to db, a spare n3 labelled web: web keeps n2 and takes n3 (not provisioned yet)
        DesiredState moved = fleet("r2", V1, tiers("n0", "db", "n1", "db", "n2", "web", "n3", "web"));
        records.put("n3", new NodeRecord.Builder("n3").state(ProvisioningState.AVAILABLE).build());
        FleetPlanner.FleetPlan p = plan(moved);
        assertThat(p.gateFor("n0")).as("3 in service (n2 and both leavers), at least 2 stay: one may go")
                .isEqualTo(new DisruptionGate(true, true, null));
        assertThat(p.gateFor("n1").blocked()).isEqualTo("move to role c/db waits for capacity of role c/web: 3 node(s)"
                + " in service, at least 2 must stay");
        // n0 is being wiped: web has n2 and n1 in service, the floor: n1 still waits
        records.put("n0", records.get("n0").toBuilder().state(ProvisioningState.CLEANING)
                .step(dev.plinth.core.Step.PREPARE_CLEAN).build());
        p = plan(moved);
        assertThat(p.gateFor("n0").blocked()).as("out of service already: nothing to count").isNull();
        assertThat(p.gateFor("n1").blocked()).contains("2 node(s) in service, at least 2 must stay");
        // the spare n3 provisioned into web: n1 may go
        serving("n3", "c/web");
        p = plan(moved);
        assertThat(p.gateFor("n1").blocked()).isNull();
    }

    @Test
    void anImageDriftHealSharesItsRoleBudgetWithTheRolloutsCanary() {
        List.of("n0", "n1", "n2").forEach(n -> serving(n, "c/web"));
        Map<String, String> t = tiers("n0", "web", "n1", "web", "n2", "web", "solo", "none");
        serving("solo", "");
        plan(fleet("r1", V1, t));
        NodeRecord.Drift drift = new NodeRecord.Drift(NodeLifecycle.IMAGE, "os-v1", "other", now,
                NodeRecord.Drift.HEALING, 1, now);
        records.put("solo", records.get("solo").toBuilder().image(new ImageRef("other", null)).drift(drift).build());
        // V2 committed: the canary n0 is admitted (still up, about to go)
        FleetPlanner.FleetPlan rolling = plan(fleet("r2", V2, t));
        assertThat(rolling.states().get("c/web").admitted()).containsOnlyKeys("n0");
        // then n2's running OS proves another image: healing it now would leave only n1
        records.put("n2", records.get("n2").toBuilder().image(new ImageRef("other", null)).drift(drift).build());
        rolling = plan(fleet("r2", V2, t));
        assertThat(rolling.states().get("c/web").admitted()).containsOnlyKeys("n0");
        assertThat(rolling.gateFor("n2").blocked()).isEqualTo("image drift heal waits for capacity of role c/web: 2"
                + " node(s) in service, at least 2 must stay");
        assertThat(rolling.gateFor("solo").blocked()).as("in no role: no role's capacity").isNull();
        // the canary on V2 and through its gate: n2 may be healed
        records.put("n0", RolloutWorld.settled("n0", V2).toBuilder().role("c/web").build());
        FleetPlanner.FleetPlan passed = plan(fleet("r2", V2, t));
        assertThat(passed.states().get("c/web").passed()).contains("n0");
        assertThat(passed.gateFor("n2").blocked()).isNull();
    }

    @Test
    void aNodeThePlanDidNotSeeWantingToGoWaitsForThePlanThatDoes() {
        FleetPlanner.FleetPlan p = plan(fleet("r1", V1, tiers("n0", "web")));
        assertThat(p.gateFor("n0").blocked()).isEqualTo("waiting for the fleet plan to count it against its role's"
                + " capacity");
        assertThat(FleetPlanner.FleetPlan.empty().gateFor("n0").planned()).isTrue();
        assertThat(DisruptionGate.FREE.blocked()).as("no fleet plan (tools, one node): nothing gates").isNull();
    }

    @Test
    void imageHealsAcrossTheFleetGoNoFasterThanTheFleetWideLimit() {
        Map<String, String> t = new LinkedHashMap<>();
        NodeRecord.Drift drift = new NodeRecord.Drift(NodeLifecycle.IMAGE, "os-v1", "other", now,
                NodeRecord.Drift.HEALING, 1, now);
        for (int i = 0; i < 20; i++) {
            String n = String.format("solo-%02d", i);
            t.put(n, "none");
            serving(n, "");
            records.put(n, records.get(n).toBuilder().image(new ImageRef("other", null)).drift(drift).build());
        }
        // a reported drift is no heal: it takes no place
        records.put("solo-00", records.get("solo-00").toBuilder().drift(new NodeRecord.Drift(NodeLifecycle.IMAGE,
                "os-v1", "other", now, NodeRecord.Drift.REPORTED, 0, null)).build());
        HealLimit limit = new HealLimit(5, 3);
        FleetPlanner.FleetPlan p = FleetPlanner.plan(fleet("r1", V1, t), records, Map.of(), states, now, limit);
        assertThat(t.keySet().stream().filter(n -> p.gateFor(n).blocked() == null))
                .as("3 per minute, in name order").containsExactly("solo-00", "solo-01", "solo-02", "solo-03");
        assertThat(p.gateFor("solo-04").blocked()).contains("fleet-wide heal limit");
        // three heals started 2 minutes ago and still run: the rate allows 3 more, the concurrency 2
        for (String n : List.of("solo-01", "solo-02", "solo-03")) {
            records.put(n, records.get(n).toBuilder().state(ProvisioningState.PROVISIONING)
                    .step(dev.plinth.core.Step.PREPARE_DEPLOY).operationStartedAt(now.minusSeconds(120)).build());
        }
        FleetPlanner.FleetPlan later = FleetPlanner.plan(fleet("r1", V1, t), records, Map.of(), states, now, limit);
        assertThat(t.keySet().stream().filter(n -> n.compareTo("solo-03") > 0
                && later.gateFor(n).blocked() == null)).containsExactly("solo-04", "solo-05");
    }
}

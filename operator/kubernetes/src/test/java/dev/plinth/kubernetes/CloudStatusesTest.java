package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.Cloud;
import dev.plinth.api.CloudRole;
import dev.plinth.api.CloudSpec;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.api.HealthCheck;
import dev.plinth.api.LabelSelector;
import dev.plinth.api.ObjectMeta;
import dev.plinth.api.ResourceRef;
import dev.plinth.api.RolloutPolicy;
import dev.plinth.core.fleet.FleetPlanner.FleetPlan;
import dev.plinth.core.fleet.RoleAllocator;
import dev.plinth.core.fleet.RoleResolver;
import dev.plinth.core.fleet.RolloutPlanner;
import dev.plinth.core.fleet.RolloutState;
import dev.plinth.core.fleet.RolloutState.Phase;
import dev.plinth.kubernetes.crd.CloudStatus;
import dev.plinth.kubernetes.crd.Condition;
import dev.plinth.testkit.Fixtures;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A Cloud's status from a fleet plan: the rollout fields and which kstatus condition is True, and why. */
class CloudStatusesTest {
    static final DiskImage CENTOS = Fixtures.image("centos", 'a');
    static final DiskImage BROKEN = Fixtures.image("broken", 'b');
    static final Instant AT = Instant.parse("2026-12-01T00:00:00Z");
    static final List<String> MEMBERS = List.of("ns/n0", "ns/n1");
    static final Cloud CLOUD = new Cloud(ObjectMeta.named("c"), new CloudSpec(List.of(new CloudRole("web", 2,
            new LabelSelector(Map.of("role", "web")), new ResourceRef("centos"), RolloutPolicy.DEFAULT,
            HealthCheck.DEFAULT))));
    static final RoleResolver.Resolution NONE_AMBIGUOUS = RoleResolver.resolve(DesiredState.empty(""));

    static RolloutState state(Phase phase, DiskImage target, String targetKey, RolloutState.Failure failure) {
        return new RolloutState("c/web", phase, "generation-1", CENTOS, "generation-2", target, targetKey, MEMBERS,
                Map.of("ns/n0", AT), Set.of(), Map.of(), null, 1, failure);
    }

    static CloudStatus statusOf(RolloutState s, int shortfall, String waiting, String... ready) {
        var d = new RolloutPlanner.Decision(s, Map.of(), List.of(), new RoleAllocator.Allocation(MEMBERS, shortfall,
                null), List.of(List.of("ns/n1")), Set.of(), waiting, 1, 1);
        return CloudStatuses.of(CLOUD, 2, new FleetPlan(Map.of(), Map.of("c/web", d), Map.of("c/web", s)),
                NONE_AMBIGUOUS, Map.of(), List.of(ready)::contains);
    }

    static Condition trueOne(CloudStatus s) {
        return s.conditions.stream().filter(c -> c.status.equals("True")).findFirst().orElseThrow();
    }

    @Test
    void aRollingRoleIsReconcilingWithItsBatchAndTheRolloutFieldsNameNodesWithoutTheirNamespace() {
        CloudStatus s = statusOf(state(Phase.ROLLING, BROKEN, "k2", null), 0, "waiting for the health gate of batch 1",
                "ns/n1");
        assertThat(trueOne(s).type).isEqualTo(NodeConditions.RECONCILING);
        assertThat(trueOne(s).reason).isEqualTo("Rolling");
        assertThat(trueOne(s).message).isEqualTo("role web: rolling to broken (revision generation-2), 0 of 2"
                + " updated, batch 1; waiting for the health gate of batch 1");
        CloudStatus.RolloutStatus r = s.roles.get(0).rollout;
        assertThat(r.admitted).containsExactly("n0");
        assertThat(r.batches).containsExactly(List.of("n1"));
        assertThat(r.stableImage).isEqualTo("centos");
        assertThat(s.roles.get(0).ready).isEqualTo(1);
        assertThat(CloudStatuses.stateOf(s.roles.get(0))).as("what a restart reads back")
                .isEqualTo(state(Phase.ROLLING, BROKEN, "k2", null));
    }

    @Test
    void aRollbackAndARolledBackTargetTheCloudStillNamesAreStalled() {
        var failure = new RolloutState.Failure("generation-2", "k2", BROKEN, "[ns/n0: deploy failed: x]", AT, true);
        CloudStatus back = statusOf(state(Phase.ROLLING_BACK, CENTOS, "k2", failure), 0, null);
        assertThat(trueOne(back).type).isEqualTo(NodeConditions.STALLED);
        assertThat(trueOne(back).reason).isEqualTo("RolloutFailed");
        assertThat(trueOne(back).message).contains("revision generation-2 (broken) failed its health gate")
                .contains("rolling back to centos (revision generation-1)");

        CloudStatus held = statusOf(state(Phase.STABLE, CENTOS, "k2", failure), 0, null, "ns/n0", "ns/n1");
        assertThat(trueOne(held).type).isEqualTo(NodeConditions.STALLED);
        assertThat(trueOne(held).message).contains("held until the role's image or health check changes");
        assertThat(held.roles.get(0).rollout.failedImage).isEqualTo("broken");
        assertThat(held.roles.get(0).rollout.failedRevision).isEqualTo("generation-2");

        // a newer target started: the old failure is history, not a condition
        CloudStatus moved = statusOf(state(Phase.STABLE, CENTOS, "k3", failure), 0, null, "ns/n0", "ns/n1");
        assertThat(trueOne(moved).type).isEqualTo(NodeConditions.READY);
        assertThat(moved.roles.get(0).rollout.failedRevision).isEqualTo("generation-2");
    }

    @Test
    void aShortfallIsStalledAndAStableReadyRoleIsReady() {
        CloudStatus short1 = statusOf(state(Phase.STABLE, CENTOS, "k1", null), 1, null, "ns/n0", "ns/n1");
        assertThat(trueOne(short1).reason).isEqualTo("Shortfall");
        assertThat(trueOne(short1).message).isEqualTo("role web has 2 of 2 nodes: label 1 more to match its"
                + " nodeSelector");
        CloudStatus ready = statusOf(state(Phase.STABLE, CENTOS, "k1", null), 0, null, "ns/n0", "ns/n1");
        assertThat(trueOne(ready).type).isEqualTo(NodeConditions.READY);
        CloudStatus provisioning = statusOf(state(Phase.STABLE, CENTOS, "k1", null), 0, null, "ns/n0");
        assertThat(trueOne(provisioning).reason).isEqualTo("Provisioning");
    }

    @Test
    void aRoleNamingNoKnownImageIsStalledSayingWhich() {
        CloudStatus s = CloudStatuses.of(CLOUD, 2, FleetPlan.empty(), NONE_AMBIGUOUS, Map.of("c/web",
                CloudStatuses.Unplanned.unknownImage("centos")), n -> false);
        assertThat(trueOne(s).reason).isEqualTo("UnknownImage");
        assertThat(trueOne(s).message).isEqualTo("role web: image \"centos\" is no DiskImage of the namespace; not"
                + " rolled out, its members wait");
    }
}

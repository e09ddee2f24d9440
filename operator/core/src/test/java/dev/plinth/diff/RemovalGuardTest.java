package dev.plinth.diff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.api.Resource;
import dev.plinth.core.Resources;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RemovalGuardTest {
    private static final DiskImage CENTOS = Resources.image("centos", 'a');

    /** Nodes node-0..count-1, with {@code change} applied to each. */
    private static DesiredState fleet(String revision, int count, java.util.function.IntFunction<BareMetalNode> node) {
        List<Resource> r = new ArrayList<>();
        r.add(CENTOS);
        for (int i = 0; i < count; i++) {
            BareMetalNode n = node.apply(i);
            if (n != null) {
                r.add(n);
            }
        }
        return DesiredState.of(revision, r);
    }

    private static DesiredState fleetOf(String revision, int count, DiskImage image) {
        return fleet(revision, count, i -> Resources.node("node-" + i, i, image.name(), true));
    }

    private static BareMetalNode running(int i) {
        return Resources.node("node-" + i, i, "centos", true);
    }

    @Test
    void removingUpToTheLimitsIsNotHeldAndOneMoreIs() {
        DesiredState twenty = fleetOf("a", 20, CENTOS);
        RemovalGuard guard = new RemovalGuard(5, 50);
        assertThat(guard.check(twenty, fleetOf("b", 15, CENTOS))).isEmpty();
        Optional<RemovalGuard.Hold> hold = guard.check(twenty, fleetOf("c", 14, CENTOS));
        assertThat(hold).isPresent();
        assertThat(hold.get().machines()).hasSize(6).contains("node-14: deprovision", "node-19: deprovision");
        assertThat(hold.get().reason()).contains("6 of 20").contains("plinth approve c");
    }

    @Test
    void theShareLimitHoldsSmallFleetsButNeverForOneMachine() {
        RemovalGuard guard = new RemovalGuard(10, 50);
        DesiredState four = fleetOf("a", 4, CENTOS);
        assertThat(guard.check(four, fleetOf("b", 2, CENTOS))).isEmpty(); // 50%: not more than half
        assertThat(guard.check(four, fleetOf("c", 1, CENTOS))).isPresent(); // 75%
        DesiredState one = fleetOf("a", 1, CENTOS);
        assertThat(guard.check(one, fleetOf("b", 0, CENTOS))).isEmpty(); // 100%, but one machine
        DesiredState two = fleetOf("a", 2, CENTOS);
        assertThat(guard.check(two, fleetOf("b", 0, CENTOS))).isPresent();
    }

    @Test
    void poweringOffCountsAsTakingOutOfServiceAndReimagingDoesNot() {
        DesiredState four = fleetOf("a", 4, CENTOS);
        DesiredState offline = fleet("b", 4, i -> i < 3 ? Resources.node("node-" + i, i, "centos", false) : running(i));
        assertThat(RemovalGuard.disruptions(four, offline)).containsExactly("node-0: power off (online: false)",
                "node-1: power off (online: false)", "node-2: power off (online: false)");
        DesiredState noImage = fleet("c", 4, i -> i < 3 ? Resources.node("node-" + i, i, null, true) : running(i));
        assertThat(RemovalGuard.disruptions(four, noImage)).hasSize(3).allMatch(s -> s.endsWith(": wipe and power off (no image)"));
        DesiredState rocky = DesiredState.of("d", List.of(Resources.image("rocky", 'b'),
                Resources.node("node-0", 0, "rocky", true), Resources.node("node-1", 1, "rocky", true),
                Resources.node("node-2", 2, "rocky", true), Resources.node("node-3", 3, "rocky", true)));
        assertThat(RemovalGuard.disruptions(four, rocky)).isEmpty();
        assertThat(RemovalGuard.DEFAULT.check(four, rocky)).isEmpty();
    }

    @Test
    void aNodeThatRanNothingCountsOnlyWhenItLeaves() {
        DesiredState idle = fleet("a", 3, i -> Resources.node("node-" + i, i, null, false));
        assertThat(RemovalGuard.disruptions(idle, fleet("b", 3, i -> Resources.node("node-" + i, i, null, false))))
                .isEmpty();
        assertThat(RemovalGuard.disruptions(idle, fleet("c", 0, i -> null))).hasSize(3);
    }

    @Test
    void nothingInForceIsNeverHeldAndOffNeverHolds() {
        assertThat(RemovalGuard.DEFAULT.check(null, fleetOf("a", 3, CENTOS))).isEmpty();
        assertThat(RemovalGuard.OFF.check(fleetOf("a", 100, CENTOS), fleetOf("b", 0, CENTOS)))
                .isEmpty();
    }

    @Test
    void badLimitsAreRefused() {
        assertThatThrownBy(() -> new RemovalGuard(-1, 50)).hasMessageContaining("0 or more");
        assertThatThrownBy(() -> new RemovalGuard(1, 101)).hasMessageContaining("0..100%");
    }


    @Test
    void movingNodesToAnotherRoleCountsAsTakingThemOutOfService() {
        dev.plinth.api.Cloud cloud = new dev.plinth.api.Cloud(dev.plinth.api.ObjectMeta.named("lab"),
                new dev.plinth.api.CloudSpec(List.of(
                        new dev.plinth.api.CloudRole("compute", 2, new dev.plinth.api.LabelSelector(
                                java.util.Map.of("role", "compute")), new dev.plinth.api.ResourceRef("centos"),
                                dev.plinth.api.RolloutPolicy.DEFAULT, dev.plinth.api.HealthCheck.DEFAULT),
                        new dev.plinth.api.CloudRole("storage", 2, new dev.plinth.api.LabelSelector(
                                java.util.Map.of("role", "storage")), new dev.plinth.api.ResourceRef("centos"),
                                dev.plinth.api.RolloutPolicy.DEFAULT, dev.plinth.api.HealthCheck.DEFAULT))));
        List<Resource> before = new ArrayList<>(List.of(CENTOS, cloud));
        List<Resource> after = new ArrayList<>(List.of(CENTOS, cloud));
        for (int i = 0; i < 3; i++) {
            BareMetalNode n = Resources.node("node-" + i, i, null, true);
            before.add(n);
            after.add(new BareMetalNode(new dev.plinth.api.ObjectMeta("node-" + i, java.util.Map.of("role",
                    i < 2 ? "storage" : "compute")), n.spec()));
        }
        assertThat(RemovalGuard.disruptions(DesiredState.of("a", before), DesiredState.of("b", after)))
                .containsExactly("node-0: move from lab/compute to lab/storage (wiped and provisioned again)",
                        "node-1: move from lab/compute to lab/storage (wiped and provisioned again)");
    }
}

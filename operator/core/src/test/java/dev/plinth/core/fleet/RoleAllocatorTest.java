package dev.plinth.core.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.CloudRole;
import dev.plinth.api.HealthCheck;
import dev.plinth.api.LabelSelector;
import dev.plinth.api.ResourceRef;
import dev.plinth.api.RolloutPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoleAllocatorTest {
    static CloudRole role(int count, String domain) {
        return new CloudRole("compute", count, new LabelSelector(Map.of("role", "compute")), new ResourceRef("x"),
                RolloutPolicy.DEFAULT, HealthCheck.DEFAULT, domain, null);
    }

    static List<BareMetalNode> racks(int n) {
        List<BareMetalNode> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(RolloutWorld.node("n" + i, Map.of("rack", i < n / 2 ? "r1" : "r2")));
        }
        return out;
    }

    @Test
    void takesCountNodesSpreadOverTheFailureDomain() {
        RoleAllocator.Allocation a = RoleAllocator.allocate(role(4, "rack"), racks(8), List.of(), Map.of());
        assertThat(a.members()).containsExactly("n0", "n1", "n4", "n5");
        assertThat(a.shortfall()).isZero();
        assertThat(a.message()).isNull();
        assertThat(RoleAllocator.allocate(role(4, null), racks(8), List.of(), Map.of()).members())
                .containsExactly("n0", "n1", "n2", "n3");
    }

    @Test
    void existingMembersStayWhenNodesAreAddedOrTheCountGrows() {
        List<BareMetalNode> nodes = racks(8);
        List<String> before = List.of("n2", "n3", "n7");
        assertThat(RoleAllocator.allocate(role(3, "rack"), nodes, before, Map.of()).members())
                .containsExactly("n2", "n3", "n7");
        assertThat(RoleAllocator.allocate(role(4, "rack"), nodes, before, Map.of()).members())
                .as("the new place goes to the emptier rack").containsExactly("n2", "n3", "n4", "n7");
    }

    @Test
    void aLowerCountGivesBackFromTheMostCrowdedDomain() {
        assertThat(RoleAllocator.allocate(role(2, "rack"), racks(8), List.of("n0", "n1", "n4"), Map.of()).members())
                .containsExactly("n0", "n4");
    }

    @Test
    void aFailedNodeIsTakenLastAndAMemberThatLeftGitIsReplaced() {
        Map<String, dev.plinth.core.NodeRecord> records = Map.of("n0", new dev.plinth.core.NodeRecord.Builder("n0")
                .state(dev.plinth.core.ProvisioningState.ERROR).build());
        assertThat(RoleAllocator.allocate(role(2, null), racks(4), List.of(), records).members())
                .containsExactly("n1", "n2");
        assertThat(RoleAllocator.allocate(role(2, null), racks(4).subList(1, 4), List.of("n0", "n1"), Map.of())
                .members()).containsExactly("n1", "n2");
    }

    @Test
    void aShortfallIsReportedWithItsReasonAndTheSameEveryTime() {
        RoleAllocator.Allocation a = RoleAllocator.allocate(role(10, null), racks(9), List.of(), Map.of());
        assertThat(a.members()).hasSize(9);
        assertThat(a.shortfall()).isEqualTo(1);
        assertThat(a.message()).isEqualTo("wants 10 node(s), 9 match nodeSelector {role=compute}: 1 short");
        assertThat(RoleAllocator.allocate(role(10, null), racks(9), a.members(), Map.of())).isEqualTo(a);
    }
}

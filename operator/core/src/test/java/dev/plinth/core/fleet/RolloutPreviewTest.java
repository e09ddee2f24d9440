package dev.plinth.core.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.Cloud;
import dev.plinth.api.CloudRole;
import dev.plinth.api.CloudSpec;
import dev.plinth.api.DesiredState;
import dev.plinth.api.HealthCheck;
import dev.plinth.api.ObjectMeta;
import dev.plinth.api.Resource;
import dev.plinth.api.ResourceRef;
import dev.plinth.api.RolloutPolicy;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RolloutPreviewTest {
    static DesiredState state(String rev, String image, String maxUnavailable, int nodes) {
        List<Resource> r = new ArrayList<>(List.of(RolloutWorld.V1, RolloutWorld.V2));
        for (int i = 0; i < nodes; i++) {
            r.add(RolloutWorld.node("n" + i, java.util.Map.of()));
        }
        CloudRole role = new CloudRole("compute", nodes, new dev.plinth.api.LabelSelector(
                java.util.Map.of("role", "compute")), new ResourceRef(image), new RolloutPolicy(maxUnavailable),
                new HealthCheck(true, 22, 600));
        r.add(new Cloud(ObjectMeta.named("oc"), new CloudSpec(List.of(role))));
        return DesiredState.of(rev, r);
    }

    @Test
    void aChangedRoleImageShowsItsBatchesCanaryFirst() {
        List<RolloutPreview.RoleRollout> p = RolloutPreview.between(state("a", "os-v1", "2", 5),
                state("b", "os-v2", "2", 5));
        assertThat(p).containsExactly(new RolloutPreview.RoleRollout("oc/compute", "os-v1", "os-v2", "2",
                List.of(List.of("n0", "n1"), List.of("n2", "n3"), List.of("n4"))));
    }

    @Test
    void anUnchangedRoleHasNoRollout() {
        assertThat(RolloutPreview.between(state("a", "os-v1", "1", 3), state("b", "os-v1", "1", 3))).isEmpty();
    }
}

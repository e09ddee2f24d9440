package dev.plinth.core.fleet;

import dev.plinth.api.RootDeviceHints;
import dev.plinth.api.RolloutPolicy;
import dev.plinth.api.ResourceRef;
import dev.plinth.api.Resource;
import dev.plinth.api.ObjectMeta;
import dev.plinth.api.ImageFormat;
import dev.plinth.api.HealthCheck;
import dev.plinth.api.DiskImageSpec;
import dev.plinth.api.Compression;
import dev.plinth.api.CloudSpec;
import dev.plinth.api.BmcSpec;
import dev.plinth.api.BareMetalNodeSpec;
import dev.plinth.api.BareMetalNode;
import dev.plinth.api.Cloud;
import dev.plinth.api.CloudRole;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.api.LabelSelector;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.core.fleet.RoleResolver.Placement;
import dev.plinth.core.fleet.RoleResolver.RoleId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoleResolverTest {
    static final DiskImage CENTOS = image("centos-9", 'a');
    static final DiskImage RHEL = image("rhel-9", 'b');
    static final DiskImage PINNED = image("pinned", 'c');

    @Test
    void aNodeInOneRoleRunsTheRoleImageAndIsCountedAsItsMember() {
        DesiredState d = state(List.of(node("c0", Map.of("role", "compute"), null),
                        node("c1", Map.of("role", "compute"), null), node("k0", Map.of("role", "controller"), null)),
                cloud("overcloud", role("compute", 3, Map.of("role", "compute"), "centos-9"),
                        role("controller", 1, Map.of("role", "controller"), "rhel-9")));

        RoleResolver.Resolution r = RoleResolver.resolve(d);

        assertThat(r.placements().get("c0").role()).isEqualTo(new RoleId("overcloud", "compute"));
        assertThat(r.placements().get("c0").image()).isEqualTo(CENTOS);
        assertThat(r.placements().get("k0").image()).isEqualTo(RHEL);
        assertThat(r.roles()).extracting(c -> c.role().role(), c -> c.members(), c -> c.shortfall())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("compute", List.of("c0", "c1"), 1),
                        org.assertj.core.groups.Tuple.tuple("controller", List.of("k0"), 0));
    }

    @Test
    void theNodesOwnImageWinsOverItsRoleImageAndItStaysAMember() {
        DesiredState d = state(List.of(node("c0", Map.of("role", "compute"), "pinned")),
                cloud("overcloud", role("compute", 1, Map.of("role", "compute"), "centos-9")));

        Placement p = RoleResolver.place(d, d.nodes().get("c0"));

        assertThat(p.image()).isEqualTo(PINNED);
        assertThat(p.role()).isEqualTo(new RoleId("overcloud", "compute"));
        assertThat(RoleResolver.imageFor(d, d.nodes().get("c0"))).contains(PINNED);
    }

    @Test
    void anAbsentOrEmptySelectorSelectsNoNode() {
        // Before the resolver, status counted every node as selected by a selector-less role while the engine
        // gave none of them its image.
        DesiredState d = state(List.of(node("a", Map.of("role", "compute"), null), node("b", Map.of(), null)),
                cloud("overcloud", role("spare", 2, null, "centos-9"), role("empty", 1, Map.of(), "rhel-9")));

        RoleResolver.Resolution r = RoleResolver.resolve(d);

        assertThat(r.placements().values()).allSatisfy(p -> {
            assertThat(p.role()).isNull();
            assertThat(p.selectedBy()).isEmpty();
            assertThat(p.image()).isNull();
        });
        assertThat(r.roles()).allSatisfy(c -> assertThat(c.members()).isEmpty());
        assertThat(r.roles()).extracting(RoleResolver.RoleCount::shortfall).containsExactly(2, 1);
        assertThat(RoleResolver.imageFor(d, d.nodes().get("a"))).isEmpty();
    }

    @Test
    void aNodeSelectedByTwoRolesIsInNeitherWhateverTheFileOrder() {
        BareMetalNode gpu = node("g0", Map.of("role", "compute", "gpu", "yes"), null);
        CloudRole compute = role("compute", 1, Map.of("role", "compute"), "centos-9");
        CloudRole gpuRole = role("gpu", 1, Map.of("gpu", "yes"), "rhel-9");
        List<CloudRole> roles = new ArrayList<>(List.of(compute, gpuRole));
        for (int order = 0; order < 2; order++) {
            DesiredState d = state(List.of(gpu), cloud("overcloud", roles.toArray(CloudRole[]::new)));

            Placement p = RoleResolver.place(d, gpu);

            // Before the resolver, the first role in file order won silently and the image flipped with the order.
            assertThat(p.ambiguous()).isTrue();
            assertThat(p.role()).isNull();
            assertThat(p.image()).isNull();
            assertThat(RoleResolver.imageFor(d, gpu)).isEmpty();
            assertThat(p.selectedBy()).extracting(RoleId::role).containsExactlyInAnyOrder("compute", "gpu");
            assertThat(RoleResolver.resolve(d).ambiguous()).containsExactly(p);
            assertThat(RoleResolver.resolve(d).roles()).allSatisfy(c -> assertThat(c.members()).isEmpty());
            Collections.reverse(roles);
        }
    }

    @Test
    void overlapAcrossTwoCloudsIsAmbiguousToo() {
        BareMetalNode n = node("n0", Map.of("role", "compute"), "pinned");
        DesiredState d = state(List.of(n), cloud("a", role("compute", 1, Map.of("role", "compute"), "centos-9")),
                cloud("b", role("compute", 1, Map.of("role", "compute"), "rhel-9")));

        Placement p = RoleResolver.place(d, n);

        assertThat(p.selectedBy()).containsExactly(new RoleId("a", "compute"), new RoleId("b", "compute"));
        assertThat(p.role()).isNull();
        // its own pin still names what it runs
        assertThat(p.image()).isEqualTo(PINNED);
    }

    @Test
    void aNodeInNoRoleKeepsItsOwnImageOrNone() {
        DesiredState d = state(List.of(node("own", Map.of(), "pinned"), node("none", Map.of("x", "y"), null)),
                cloud("overcloud", role("compute", 0, Map.of("role", "compute"), "centos-9")));

        assertThat(RoleResolver.imageFor(d, d.nodes().get("own"))).contains(PINNED);
        assertThat(RoleResolver.imageFor(d, d.nodes().get("none"))).isEmpty();
        assertThat(RoleResolver.resolve(d).roles().get(0).shortfall()).isZero();
    }

    // --- builders ----------------------------------------------------------------------------------------------

    static DesiredState state(List<BareMetalNode> nodes, Cloud... clouds) {
        List<Resource> all = new ArrayList<>(List.of(CENTOS, RHEL, PINNED));
        all.addAll(nodes);
        all.addAll(List.of(clouds));
        return DesiredState.of("test", all);
    }

    static DiskImage image(String name, char digit) {
        return new DiskImage(ObjectMeta.named(name), new DiskImageSpec("http://images.example/" + name + ".raw",
                "sha256:" + String.valueOf(digit).repeat(64), ImageFormat.RAW, Compression.NONE));
    }

    static BareMetalNode node(String name, Map<String, String> labels, String image) {
        int i = Math.floorMod(name.hashCode(), 250);
        var spec = new BareMetalNodeSpec(BmcSpec.of("ipmi://10.0.0." + i + ":623", "bmc-" + name, false),
                String.format("52:54:00:00:00:%02x", i), true, image == null ? null : new ResourceRef(image),
                RootDeviceHints.NONE);
        return new BareMetalNode(new ObjectMeta(name, labels), spec);
    }

    static CloudRole role(String name, int count, Map<String, String> selector, String image) {
        return new CloudRole(name, count, selector == null ? null : new LabelSelector(selector),
                new ResourceRef(image), RolloutPolicy.DEFAULT, HealthCheck.DEFAULT);
    }

    static Cloud cloud(String name, CloudRole... roles) {
        return new Cloud(ObjectMeta.named(name), new CloudSpec(List.of(roles)));
    }
}

package dev.plinth.diff;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.api.Resource;
import dev.plinth.core.Resources;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlanTest {
    private static DesiredState fleet(String revision, int count, DiskImage image) {
        List<Resource> resources = new ArrayList<>(List.of(image));
        for (int i = 0; i < count; i++) {
            resources.add(Resources.node("node-" + i, i, image.name(), true));
        }
        return DesiredState.of(revision, resources);
    }

    private final DiskImage centos = Resources.image("centos", 'a');
    private final DiskImage rocky = Resources.image("rocky", 'b');

    @Test
    void nothingChangedIsAnEmptyPlan() {
        assertThat(Plan.between(fleet("a", 3, centos), fleet("b", 3, centos)).isEmpty()).isTrue();
    }

    @Test
    void addedRemovedAndReimagedNodesSayWhatHappensToTheMachine() {
        DesiredState before = fleet("a", 3, centos);
        DesiredState after = DesiredState.of("b", List.of(rocky, Resources.node("node-0", 0, "rocky", true),
                Resources.node("node-1", 1, "rocky", false), Resources.node("node-9", 9, "rocky", true)));
        Plan plan = Plan.between(before, after);
        assertThat(plan.changes()).extracting(c -> c.symbol() + " " + c.resourceKind() + " " + c.name())
                .contains("+ DiskImage rocky", "- DiskImage centos", "~ BareMetalNode node-0",
                        "- BareMetalNode node-2", "+ BareMetalNode node-9");
        assertThat(plan.changes()).filteredOn(c -> c.name().equals("node-0")).singleElement()
                .satisfies(c -> assertThat(c.consequence()).startsWith("reprovision with rocky@bbbb"));
        assertThat(plan.changes()).filteredOn(c -> c.name().equals("node-2")).singleElement()
                .satisfies(c -> assertThat(c.consequence()).contains("power off"));
        assertThat(plan.reprovisions()).isEqualTo(2);
    }

    @Test
    void aNewChecksumUnderTheSameImageNameReprovisionsItsUsers() {
        DiskImage rebuilt = Resources.image("centos", 'c');
        Plan plan = Plan.between(fleet("a", 2, centos), fleet("b", 2, rebuilt));
        assertThat(plan.changes()).filteredOn(c -> c.resourceKind().equals("DiskImage")).singleElement()
                .satisfies(c -> assertThat(c.fields()).anySatisfy(f -> assertThat(f).startsWith("spec.checksum")));
        assertThat(plan.reprovisions()).isEqualTo(2);
    }
}

package dev.plinth.diff;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.testkit.Fixtures;
import java.util.List;
import org.junit.jupiter.api.Test;

class PlanTest {
    private final DiskImage centos = Fixtures.image("centos", 'a');
    private final DiskImage rocky = Fixtures.image("rocky", 'b');

    @Test
    void nothingChangedIsAnEmptyPlan() {
        assertThat(Plan.between(Fixtures.fleet("a", 3, centos), Fixtures.fleet("b", 3, centos)).isEmpty()).isTrue();
    }

    @Test
    void addedRemovedAndReimagedNodesSayWhatHappensToTheMachine() {
        DesiredState before = Fixtures.fleet("a", 3, centos);
        DesiredState after = DesiredState.of("b", List.of(rocky, Fixtures.node("node-0", 0, "rocky", true),
                Fixtures.node("node-1", 1, "rocky", false), Fixtures.node("node-9", 9, "rocky", true)));
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
        DiskImage rebuilt = Fixtures.image("centos", 'c');
        Plan plan = Plan.between(Fixtures.fleet("a", 2, centos), Fixtures.fleet("b", 2, rebuilt));
        assertThat(plan.changes()).filteredOn(c -> c.resourceKind().equals("DiskImage")).singleElement()
                .satisfies(c -> assertThat(c.fields()).anySatisfy(f -> assertThat(f).startsWith("spec.checksum")));
        assertThat(plan.reprovisions()).isEqualTo(2);
    }
}

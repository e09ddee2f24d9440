package dev.plinth.core.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.core.fleet.DisruptionBudget.Disruption;
import dev.plinth.core.fleet.DisruptionBudget.Role;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class DisruptionBudgetTest {

    /** One row: role c/a with {@code inService} nodes and a floor; nodes wanting out of it; those that must wait. */
    record Row(String name, int inService, int minAvailable, List<String> wanting, List<String> held) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Row> rows() {
        return Stream.of(
                new Row("room for one: the first by name goes", 10, 9, List.of("n2", "n1"), List.of("n2")),
                new Row("room for two", 10, 8, List.of("n3", "n1", "n2"), List.of("n3")),
                new Row("at the floor: none goes", 9, 9, List.of("n1"), List.of("n1")),
                new Row("below the floor: none goes", 7, 9, List.of("n1", "n2"), List.of("n1", "n2")),
                new Row("maxUnavailable 100%: all go", 4, 0, List.of("n1", "n2", "n3", "n4"), List.of()),
                new Row("nothing wanted", 10, 9, List.of(), List.of()));
    }

    @ParameterizedTest
    @MethodSource("rows")
    void capacity(Row row) {
        List<Disruption> wanted = new ArrayList<>();
        row.wanting().forEach(n -> wanted.add(new Disruption(n, "c/a", "move to role c/b")));
        Map<String, String> held = DisruptionBudget.held(Map.of("c/a", new Role("c/a", row.inService(),
                row.minAvailable())), wanted);
        assertThat(held.keySet()).containsExactlyInAnyOrderElementsOf(row.held());
        held.values().forEach(why -> assertThat(why).isEqualTo("move to role c/b waits for capacity of role c/a: "
                + row.inService() + " node(s) in service, at least " + row.minAvailable() + " must stay"));
    }

    @org.junit.jupiter.api.Test
    void rolesHaveBudgetsOfTheirOwnAndAGoneRoleHoldsNothing() {
        Map<String, String> held = DisruptionBudget.held(Map.of("c/a", new Role("c/a", 3, 2), "c/b",
                new Role("c/b", 2, 2)), List.of(new Disruption("n1", "c/a", "image drift heal"),
                new Disruption("n2", "c/a", "image drift heal"), new Disruption("n3", "c/b", "image drift heal"),
                new Disruption("n4", "c/gone", "move to no role")));
        assertThat(held).containsOnlyKeys("n2", "n3");
        assertThat(held.get("n3")).startsWith("image drift heal waits for capacity of role c/b");
    }
}

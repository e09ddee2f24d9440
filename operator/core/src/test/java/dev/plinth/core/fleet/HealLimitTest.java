package dev.plinth.core.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class HealLimitTest {
    private static List<String> nodes(int n) {
        return IntStream.range(0, n).mapToObj(i -> String.format("node-%03d", i)).toList();
    }

    @Test
    void aStormOfHealsIsCutToTheConcurrencyLimitInNameOrder() {
        List<String> wanted = new java.util.ArrayList<>(nodes(500));
        java.util.Collections.shuffle(wanted, new java.util.Random(7));
        Map<String, String> held = new HealLimit(10, 100).held(0, 0, wanted);
        assertThat(held).hasSize(490).doesNotContainKeys(nodes(10).toArray(String[]::new));
        assertThat(held.get("node-010")).contains("0 running (at most 10 at once)");
    }

    @Test
    void runningHealsTakeTheirPlaces() {
        assertThat(new HealLimit(10, 100).held(8, 0, nodes(5))).containsOnlyKeys("node-002", "node-003", "node-004");
        assertThat(new HealLimit(10, 100).held(12, 0, nodes(2))).hasSize(2);
    }

    @Test
    void theRatePerMinuteHoldsWhatTheConcurrencyWouldLetGo() {
        Map<String, String> held = new HealLimit(10, 3).held(2, 2, nodes(4));
        assertThat(held).containsOnlyKeys("node-001", "node-002", "node-003");
        assertThat(held.get("node-001")).contains("2 started in the last minute (at most 3)");
    }

    @Test
    void oneHealOnAQuietFleetGoesAtOnce() {
        assertThat(HealLimit.DEFAULT.held(0, 0, List.of("node-1"))).isEmpty();
    }

    @Test
    void limitsBelowOneAreRefused() {
        assertThatThrownBy(() -> new HealLimit(0, 5)).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> new HealLimit(5, 0)).hasMessageContaining("at least 1");
    }
}

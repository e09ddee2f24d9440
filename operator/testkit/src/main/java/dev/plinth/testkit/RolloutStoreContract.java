package dev.plinth.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.core.fleet.RolloutState;
import dev.plinth.core.fleet.RolloutState.Failure;
import dev.plinth.core.fleet.RolloutState.Phase;
import dev.plinth.store.StateStore;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What every {@link dev.plinth.store.RolloutStore} must do. */
public interface RolloutStoreContract extends StoreUnderTest {

    /** A state with every field set, so a lossy serialisation shows. */
    static RolloutState rollingBack(String role) {
        Instant t = Instant.parse("2026-11-25T10:00:00Z");
        return new RolloutState(role, Phase.ROLLING_BACK, "rev-a", Fixtures.image("centos", 'a'), "rev-a",
                Fixtures.image("centos", 'a'), "centos@sha256:aaa", List.of("n1", "n2", "n3"),
                Map.of("n1", t, "n2", t.plusSeconds(1)), Set.of("n1"), Map.of("n2", "deploy failed: checksum"),
                t.plusSeconds(60), 2,
                new Failure("rev-b", "rocky@sha256:bbb", Fixtures.image("rocky", 'b'), "[n2: deploy failed]", t, true));
    }

    @Test
    default void rolloutStatesReadBackWholeAfterReopeningAndTheLastSaveWins() {
        RolloutState a = rollingBack("cloud/compute");
        RolloutState b = RolloutState.fresh("cloud/storage");
        try (StateStore s = openStore()) {
            assertThat(s.loadRollouts()).isEmpty();
            s.saveRollout(RolloutState.fresh("cloud/compute"));
            s.saveRollout(a);
            s.saveRollout(b);
        }
        try (StateStore s = openStore()) {
            assertThat(s.loadRollouts()).isEqualTo(Map.of("cloud/compute", a, "cloud/storage", b));
        }
    }

    @Test
    default void aDeletedRolloutIsGoneAndDeletingAnUnknownOneIsANoOp() {
        try (StateStore s = openStore()) {
            s.saveRollout(rollingBack("cloud/compute"));
            s.saveRollout(RolloutState.fresh("cloud/storage"));
            s.deleteRollout("cloud/compute");
            s.deleteRollout("cloud/never");
        }
        try (StateStore s = openStore()) {
            assertThat(s.loadRollouts()).containsOnlyKeys("cloud/storage");
        }
    }
}

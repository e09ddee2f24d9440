package dev.plinth.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.store.NodeEvent;
import dev.plinth.store.StateStore;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What every {@link dev.plinth.store.NodeHistory} must do. */
public interface NodeHistoryContract extends StoreUnderTest {

    @Test
    default void eventsComeBackOldestFirstLimitedAndPerNode() {
        try (StateStore s = openStore()) {
            for (int i = 0; i < 5; i++) {
                s.append(new NodeEvent(Instant.parse("2026-11-25T10:00:0" + i + "Z"), "n1", "State", "e" + i));
            }
            s.append(new NodeEvent(Instant.parse("2026-11-25T10:00:09Z"), "n2", "Error", "other node"));
        }
        try (StateStore s = openStore()) {
            assertThat(s.events("n1", 3)).extracting(NodeEvent::message).containsExactly("e2", "e3", "e4");
            assertThat(s.events("n1", 3).get(0).at()).isEqualTo(Instant.parse("2026-11-25T10:00:02Z"));
            assertThat(s.events("n2", 10)).extracting(NodeEvent::type).containsExactly("Error");
            assertThat(s.events("other", 3)).isEmpty();
        }
    }
}

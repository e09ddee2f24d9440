package dev.plinth.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.core.ImageRef;
import dev.plinth.core.NodeLifecycle;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.store.NodeEvent;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Issue 8 #12: adopting a node, and its image being proven later, are events of their own. */
class NodeEventsTest {
    private static final Instant T = Instant.parse("2026-11-25T10:00:00Z");
    private final NodeRecord registering = new NodeRecord.Builder("n1").state(ProvisioningState.REGISTERING)
            .updatedAt(T).build();
    private final NodeRecord adopted = registering.toBuilder().state(ProvisioningState.PROVISIONED)
            .image(new ImageRef("centos", "sha256:a")).imageUnverified(true).message(NodeLifecycle.ADOPTED).build();

    @Test
    void anAdoptionIsAnAdoptedEventWithItsMessage() {
        NodeEvent e = NodeEvents.between(registering, adopted);
        assertThat(e.type()).isEqualTo(NodeEvents.ADOPTED);
        assertThat(e.message()).isEqualTo(NodeLifecycle.ADOPTED);
    }

    @Test
    void anImageProvenByTheRunningOsIsAVerifiedEvent() {
        NodeRecord verified = adopted.toBuilder().imageUnverified(false).message(NodeLifecycle.VERIFIED).build();
        NodeEvent e = NodeEvents.between(adopted, verified);
        assertThat(e).isNotNull();
        assertThat(e.type()).isEqualTo(NodeEvents.VERIFIED);
        assertThat(e.message()).isEqualTo(NodeLifecycle.VERIFIED);
        assertThat(NodeEvents.between(verified, verified)).isNull();
    }
}

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

    @Test
    void aDriftIsADriftEventOnceAndItsEndADriftResolvedEvent() {
        NodeRecord provisioned = adopted.toBuilder().imageUnverified(false).message("").build();
        NodeRecord.Drift off = new NodeRecord.Drift(NodeLifecycle.POWER, "ON", "OFF", T, NodeRecord.Drift.REPORTED, 0,
                null);
        NodeRecord drifted = provisioned.toBuilder().drift(off)
                .message("drift: power: expected ON, observed OFF; reported only").build();
        NodeEvent e = NodeEvents.between(provisioned, drifted);
        assertThat(e.type()).isEqualTo(NodeEvents.DRIFT);
        assertThat(e.message()).isEqualTo("drift: power: expected ON, observed OFF; reported only");
        assertThat(NodeEvents.newDrift(provisioned, drifted)).isTrue();
        // seen again at the next check: nothing new
        assertThat(NodeEvents.between(drifted, drifted)).isNull();
        assertThat(NodeEvents.newDrift(drifted, drifted)).isFalse();
        // what is done about it changes: a new event
        NodeRecord held = drifted.toBuilder().drift(new NodeRecord.Drift(NodeLifecycle.POWER, "ON", "OFF", T,
                NodeRecord.Drift.HELD, 3, T)).build();
        assertThat(NodeEvents.newDrift(drifted, held)).isTrue();
        NodeRecord resolved = held.toBuilder().drift(held.drift().resolved()).message("").build();
        NodeEvent end = NodeEvents.between(held, resolved);
        assertThat(end.type()).isEqualTo(NodeEvents.DRIFT_RESOLVED);
        assertThat(end.message()).contains("power: expected ON, observed OFF");
        assertThat(resolved.drift().heals()).isEqualTo(3);
    }
}

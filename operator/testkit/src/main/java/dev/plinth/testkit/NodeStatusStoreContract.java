package dev.plinth.testkit;

import static dev.plinth.testkit.StoreUnderTest.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.store.StateStore;
import dev.plinth.store.StoreConflictException;
import dev.plinth.store.Versioned;
import org.junit.jupiter.api.Test;

/** What every {@link dev.plinth.store.NodeStatusStore} must do. */
public interface NodeStatusStoreContract extends StoreUnderTest {

    @Test
    default void aSavedRecordReadsBackEqualWithItsVersionAfterReopening() {
        NodeRecord r = record("n1", ProvisioningState.PROVISIONING);
        long v;
        try (StateStore s = openStore()) {
            v = s.saveNode(r, Versioned.ABSENT);
        }
        try (StateStore s = openStore()) {
            assertThat(s.loadNodes()).containsEntry("n1", new Versioned<>(r, v));
            assertThat(s.loadNode("n1")).contains(new Versioned<>(r, v));
            assertThat(s.loadNode("other")).isEmpty();
        }
    }

    @Test
    default void everyWriteMovesTheVersionOnAndAStaleWriteIsAConflictThatChangesNothing() {
        NodeRecord first = record("n1", ProvisioningState.PROVISIONING);
        NodeRecord second = record("n1", ProvisioningState.PROVISIONED);
        try (StateStore s = openStore()) {
            long v1 = s.saveNode(first, Versioned.ABSENT);
            long v2 = s.saveNode(second, v1);
            assertThat(v2).isGreaterThan(v1);
            assertThatThrownBy(() -> s.saveNode(first, v1)).isInstanceOfSatisfying(StoreConflictException.class,
                    e -> assertThat(e.actual()).isEqualTo(v2));
            assertThatThrownBy(() -> s.saveNode(record("n1", ProvisioningState.ERROR), Versioned.ABSENT))
                    .isInstanceOf(StoreConflictException.class);
        }
        try (StateStore s = openStore()) {
            assertThat(s.loadNode("n1").orElseThrow().value()).isEqualTo(second);
        }
    }

    @Test
    default void deletingNeedsTheCurrentVersionAndDeletingAnAbsentNodeIsANoOp() {
        try (StateStore s = openStore()) {
            long v = s.saveNode(record("n1", ProvisioningState.AVAILABLE), Versioned.ABSENT);
            s.saveNode(record("n2", ProvisioningState.AVAILABLE), Versioned.ABSENT);
            assertThatThrownBy(() -> s.deleteNode("n1", v + 1)).isInstanceOf(StoreConflictException.class);
            s.deleteNode("n1", v);
            s.deleteNode("never-there", 7);
        }
        try (StateStore s = openStore()) {
            assertThat(s.loadNodes()).containsOnlyKeys("n2");
        }
    }
}

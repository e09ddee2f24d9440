package dev.plinth.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.DesiredState;
import dev.plinth.core.Problem;
import dev.plinth.core.RevisionStatus;
import dev.plinth.store.StateStore;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What every {@link dev.plinth.store.RevisionStore} must do. */
public interface RevisionStoreContract extends StoreUnderTest {

    @Test
    default void aFreshStoreHasNothingInForceAndNoStatus() {
        try (StateStore s = openStore()) {
            assertThat(s.inForce()).isEmpty();
            assertThat(s.lastStable()).isEmpty();
            assertThat(s.revisionStatus()).isEqualTo(RevisionStatus.NONE);
        }
    }

    @Test
    default void theRevisionInForceItsStatusAndTheLastStableOneReadBackAfterReopening() {
        DesiredState a = Fixtures.fleet("rev-a", 2, Fixtures.image("centos", 'a'));
        DesiredState b = Fixtures.fleet("rev-b", 3, Fixtures.image("rocky", 'b'));
        Instant t = Instant.parse("2026-11-25T10:00:00Z");
        RevisionStatus status = new RevisionStatus(new RevisionStatus.Applied("rev-b", "second", t, 3, 1, 0),
                List.of(new RevisionStatus.Rejected("rev-x", "broken", t,
                        List.of(new Problem("nodes/n1.yaml", 4, "spec.bootMACAddress", "malformed MAC")))));
        try (StateStore s = openStore()) {
            s.putInForce(a, RevisionStatus.NONE);
            s.putLastStable(a);
            s.putInForce(b, status);
        }
        try (StateStore s = openStore()) {
            assertThat(s.inForce()).contains(b);
            assertThat(s.lastStable()).contains(a);
            assertThat(s.revisionStatus()).isEqualTo(status);
        }
    }

    @Test
    default void aRejectedRevisionChangesTheStatusAndLeavesTheRevisionInForce() {
        DesiredState a = Fixtures.fleet("rev-a", 1, Fixtures.image("centos", 'a'));
        RevisionStatus rejected = new RevisionStatus(null, List.of(new RevisionStatus.Rejected("rev-x", "broken",
                Instant.parse("2026-11-25T10:00:00Z"), List.of(new Problem("a.yaml", 0, "", "not YAML")))));
        try (StateStore s = openStore()) {
            s.putInForce(a, RevisionStatus.NONE);
            s.putRevisionStatus(rejected);
        }
        try (StateStore s = openStore()) {
            assertThat(s.inForce()).contains(a);
            assertThat(s.revisionStatus()).isEqualTo(rejected);
        }
    }

    @Test
    default void aRevisionHeldForApprovalReadsBackWithItsMachines() {
        Instant t = Instant.parse("2026-11-25T10:00:00Z");
        RevisionStatus held = new RevisionStatus(new RevisionStatus.Applied("rev-a", "first", t, 20, 1, 0), List.of(),
                new RevisionStatus.Held("rev-b", "shrink", t, "would take 12 of 20 machines out of service",
                        List.of("node-0: deprovision", "node-1: power off (online: false)")));
        try (StateStore s = openStore()) {
            s.putRevisionStatus(held);
        }
        try (StateStore s = openStore()) {
            assertThat(s.revisionStatus()).isEqualTo(held);
            assertThat(s.revisionStatus().held().machines()).containsExactly("node-0: deprovision",
                    "node-1: power off (online: false)");
        }
    }
}

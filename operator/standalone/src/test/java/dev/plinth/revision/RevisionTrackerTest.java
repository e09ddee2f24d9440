package dev.plinth.revision;

import dev.plinth.core.fleet.RoleResolver;

import dev.plinth.core.RevisionStatus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plinth.api.DesiredState;
import dev.plinth.diff.RemovalGuard;
import dev.plinth.load.DesiredStateLoader;
import dev.plinth.load.SourceFile;
import dev.plinth.runtime.Standalone;
import dev.plinth.store.sqlite.SqliteStateStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RevisionTrackerTest {
    static final String IMAGE = """
            apiVersion: plinth.dev/v1alpha1
            kind: DiskImage
            metadata: {name: centos}
            spec: {url: "http://images.example/c.raw", checksum: "sha256:%s"}
            """.formatted("a".repeat(64));

    static String node(String name, String mac) {
        return """
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: %s}
                spec:
                  bmc: {address: "ipmi://10.0.0.%d:623", credentialsName: bmc}
                  bootMACAddress: "%s"
                  image: {name: centos}
                """.formatted(name, mac.hashCode() & 0x7f, mac);
    }

    private static final DesiredStateLoader LOADER = new DesiredStateLoader(Standalone.bmcSupport("ipmi"));

    @TempDir
    Path dir;

    @Test
    void aBadRevisionIsRejectedWholeAndTheLastGoodOneStaysInForceAcrossRestarts() {
        List<DesiredState> applied = new ArrayList<>();
        try (SqliteStateStore store = new SqliteStateStore(dir.resolve("db"), false)) {
            RevisionTracker tracker = new RevisionTracker(store, LOADER, applied::add, Clock.systemUTC());
            assertThat(tracker.offer("c1", "good", List.of(new SourceFile("a.yaml",
                    IMAGE + "---\n" + node("n1", "52:54:00:00:00:01")))).isOk()).isTrue();
            // one good new node and one broken one: nothing of it applies
            var bad = tracker.offer("c2", "bad", List.of(new SourceFile("a.yaml", IMAGE + "---\n"
                    + node("n1", "52:54:00:00:00:01") + "---\n" + node("n2", "52:54:00:00:00:zz")
                    + "---\n" + node("n3", "52:54:00:00:00:03"))));
            assertThat(bad.isOk()).isFalse();
            assertThat(applied).extracting(DesiredState::revision).containsExactly("c1");
            RevisionStatus status = tracker.status();
            assertThat(status.inForce().revision()).isEqualTo("c1");
            assertThat(status.rejected()).singleElement().satisfies(r -> {
                assertThat(r.revision()).isEqualTo("c2");
                assertThat(r.problems()).singleElement().satisfies(p -> {
                    assertThat(p.path()).isEqualTo("spec.bootMACAddress");
                    assertThat(p.line()).isPositive();
                });
            });
            // offering the same bad revision again does not pile up entries
            tracker.offer("c2", "bad", List.of(new SourceFile("a.yaml", "kind: [")));
            assertThat(tracker.status().rejected()).hasSize(1);
        }
        try (SqliteStateStore store = new SqliteStateStore(dir.resolve("db"), false)) {
            RevisionTracker restarted = new RevisionTracker(store, LOADER, applied::add, Clock.systemUTC());
            assertThat(restarted.restored()).hasValueSatisfying(d -> {
                assertThat(d.revision()).isEqualTo("c1");
                assertThat(d.nodes()).containsOnlyKeys("n1");
                assertThat(RoleResolver.imageFor(d, d.nodes().get("n1"))).isPresent();
                // the BMC address comes back typed, as it was parsed when the revision was loaded
                assertThat(d.nodes().get("n1").spec().bmc().address().key()).matches("ipmi://10\\.0\\.0\\.\\d+:623");
            });
            assertThat(restarted.status().rejected()).hasSize(1);
        }
    }

    /** {@code count} nodes n0.. on centos, each at its own BMC and MAC. */
    private static List<SourceFile> nodes(int count) {
        StringBuilder b = new StringBuilder(IMAGE);
        for (int i = 0; i < count; i++) {
            b.append("---\n").append(node("n" + i, String.format("52:54:00:00:01:%02x", i))
                    .replaceFirst("10\\.0\\.0\\.\\d+", "10.0.1." + (i + 1)));
        }
        return List.of(new SourceFile("a.yaml", b.toString()));
    }

    @Test
    void aMassRemovalIsHeldUntilApprovedAndCommittingItAgainDoesNotBypassTheHold() {
        List<DesiredState> applied = new ArrayList<>();
        RemovalGuard guard = new RemovalGuard(3, 50);
        try (SqliteStateStore store = new SqliteStateStore(dir.resolve("db"), false)) {
            RevisionTracker tracker = new RevisionTracker(store, LOADER, applied::add, Clock.systemUTC(), guard);
            assertThat(tracker.offer("c1", "ten", nodes(10)).isOk()).isTrue();
            assertThat(tracker.offer("c2", "six", nodes(6)).isOk()).isTrue(); // 4 > 3: held
            assertThat(applied).extracting(DesiredState::revision).containsExactly("c1");
            RevisionStatus.Held held = tracker.status().held();
            assertThat(held.revision()).isEqualTo("c2");
            assertThat(held.machines()).containsExactly("n6: deprovision", "n7: deprovision", "n8: deprovision",
                    "n9: deprovision");
            assertThat(held.reason()).contains("4 of 10");
            assertThat(tracker.isHeld("c2")).isTrue();
            // polled again: still held, nothing applied
            tracker.offer("c2", "six", nodes(6));
            assertThat(applied).hasSize(1);
            // the same change committed again is another commit: held again, and the old approval target is gone
            tracker.offer("c3", "six again", nodes(6));
            assertThat(applied).hasSize(1);
            assertThat(tracker.status().held().revision()).isEqualTo("c3");
            assertThatThrownBy(() -> tracker.approve("c2")).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("c2 is not the one held").hasMessageContaining("c3 is");
        }
        try (SqliteStateStore store = new SqliteStateStore(dir.resolve("db"), false)) {
            // a restart keeps the hold; approving needs the revision read again (the watcher offers the head)
            RevisionTracker restarted = new RevisionTracker(store, LOADER, applied::add, Clock.systemUTC(), guard);
            assertThat(restarted.status().held().revision()).isEqualTo("c3");
            assertThatThrownBy(() -> restarted.approve("c3")).hasMessageContaining("not read again");
            restarted.offer("c3", "six again", nodes(6));
            assertThat(applied).hasSize(1);
            assertThat(restarted.approve("c3")).isEqualTo("c3");
            assertThat(applied).extracting(DesiredState::revision).containsExactly("c1", "c3");
            assertThat(restarted.status().held()).isNull();
            assertThat(restarted.status().inForce().revision()).isEqualTo("c3");
            assertThatThrownBy(() -> restarted.approve("c3")).hasMessageContaining("no revision is held");
            // shrinking further, within the limit, applies at once
            assertThat(restarted.offer("c4", "five", nodes(5)).isOk()).isTrue();
            assertThat(applied).extracting(DesiredState::revision).endsWith("c4");
        }
    }

    @Test
    void aNewerRevisionThatRemovesLittleSupersedesTheHeldOne() {
        List<DesiredState> applied = new ArrayList<>();
        try (SqliteStateStore store = new SqliteStateStore(dir.resolve("db"), false)) {
            RevisionTracker tracker = new RevisionTracker(store, LOADER, applied::add, Clock.systemUTC(),
                    new RemovalGuard(3, 50));
            tracker.offer("c1", "ten", nodes(10));
            tracker.offer("c2", "two", nodes(2));
            assertThat(tracker.isHeld("c2")).isTrue();
            tracker.offer("c3", "nine", nodes(9));
            assertThat(tracker.status().held()).isNull();
            assertThat(applied).extracting(DesiredState::revision).containsExactly("c1", "c3");
        }
    }
}

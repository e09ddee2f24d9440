package dev.plinth.revision;

import dev.plinth.core.fleet.RoleResolver;

import dev.plinth.core.RevisionStatus;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.DesiredState;
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
}

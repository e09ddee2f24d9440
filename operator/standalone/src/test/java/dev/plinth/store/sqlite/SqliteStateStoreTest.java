package dev.plinth.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plinth.core.InFlight;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.json.Json;
import dev.plinth.store.NodeEvent;
import dev.plinth.store.StateStore;
import dev.plinth.store.StoreConflictException;
import dev.plinth.store.Versioned;
import dev.plinth.testkit.StoreContracts;
import dev.plinth.testkit.StoreUnderTest;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteStateStoreTest implements StoreContracts {
    @TempDir
    Path dir;

    @Override
    public StateStore openStore() {
        return new SqliteStateStore(dir.resolve("plinth.db"), false);
    }

    @Test
    void aRecordAndItsEventAreWrittenTogetherOrNotAtAll() {
        NodeRecord r = StoreUnderTest.record("n1", ProvisioningState.PROVISIONED);
        NodeEvent e = new NodeEvent(Instant.parse("2026-11-25T10:00:00Z"), "n1", "State", "PROVISIONING -> PROVISIONED");
        try (SqliteStateStore s = new SqliteStateStore(dir.resolve("plinth.db"), false)) {
            long v = s.saveNode(r, Versioned.ABSENT, e);
            assertThatThrownBy(() -> s.saveNode(r, v + 5, e)).isInstanceOf(StoreConflictException.class);
        }
        try (StateStore s = openStore()) {
            assertThat(s.events("n1", 10)).containsExactly(e);
        }
    }

    @Test
    void aVersion1DatabaseIsMigratedInPlaceWithItsInFlightMarkerTyped() throws Exception {
        Path file = dir.resolve("v1.db");
        NodeRecord r = StoreUnderTest.record("n1", ProvisioningState.PROVISIONING);
        // the record as version 1 wrote it: in flight as a bare string
        String v1 = Json.write(r).replace(Json.MAPPER.writeValueAsString(r.inFlight()), "\"Reboot\"");
        assertThat(v1).contains("\"inFlight\":\"Reboot\"");
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + file); var s = c.createStatement()) {
            s.execute("CREATE TABLE nodes(name TEXT PRIMARY KEY, record TEXT NOT NULL)");
            s.execute("CREATE TABLE events(id INTEGER PRIMARY KEY AUTOINCREMENT, node TEXT NOT NULL,"
                    + " at TEXT NOT NULL, type TEXT NOT NULL, message TEXT NOT NULL)");
            s.execute("CREATE TABLE documents(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
            s.execute("INSERT INTO nodes VALUES('n1', '" + v1 + "')");
            s.execute("PRAGMA user_version = 1");
        }
        try (SqliteStateStore s = new SqliteStateStore(file, false)) {
            Versioned<NodeRecord> read = s.loadNode("n1").orElseThrow();
            assertThat(read.version()).isEqualTo(1);
            assertThat(read.value().inFlight()).isEqualTo(new InFlight(InFlight.Call.REBOOT, r.updatedAt()));
            assertThat(read.value()).isEqualTo(r.toBuilder().inFlight(new InFlight(InFlight.Call.REBOOT,
                    r.updatedAt())).build());
            assertThat(s.saveNode(read.value(), 1)).isEqualTo(2);
        }
    }

    @Test
    void aDatabaseFromANewerPlinthIsRefusedWithAClearMessage() throws Exception {
        Path file = dir.resolve("newer.db");
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + file); var s = c.createStatement()) {
            s.execute("PRAGMA user_version = 99");
        }
        assertThatThrownBy(() -> new SqliteStateStore(file, false)).hasMessageContaining("newer than this Plinth");
    }
}

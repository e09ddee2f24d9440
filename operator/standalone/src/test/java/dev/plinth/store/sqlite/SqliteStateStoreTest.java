package dev.plinth.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.plinth.core.InFlight;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
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

    /** A node record as schema 1 (before versions, sub-records and the typed in-flight marker) stored it. */
    private static final String V1_RECORD = "{\"name\":\"n1\",\"bmc\":{\"address\":\"ipmi://10.0.0.1:623\","
            + "\"credentialsName\":\"bmc-n1\",\"disableCertificateVerification\":false},"
            + "\"bootMACAddress\":\"52:54:00:00:00:01\",\"state\":\"PROVISIONING\",\"step\":\"WRITE_IMAGE\","
            + "\"stepStartedAt\":\"2026-11-25T10:00:00Z\",\"attempt\":0,\"notBefore\":null,\"operationStartedAt\":null,"
            + "\"lastOperationMillis\":0,\"powerState\":\"ON\",\"bootDevice\":null,\"checkedAt\":null,\"image\":null,"
            + "\"targetImage\":{\"name\":\"centos\",\"checksum\":\"sha256:" + "a".repeat(64) + "\"},"
            + "\"deploySerial\":0,\"deployId\":\"n1-1-x\",\"deployPhase\":\"WRITING\",\"bytesWritten\":10,"
            + "\"bytesTotal\":20,\"deployMillis\":{},\"errorCount\":0,\"errorKind\":\"TIMEOUT\","
            + "\"errorMessage\":\"slow\",\"failedOperation\":null,\"specFingerprint\":null,"
            + "\"timings\":{\"PREPARE_DEPLOY\":12},\"message\":\"\",\"inFlight\":\"Reboot\","
            + "\"updatedAt\":\"2026-11-25T10:00:00Z\"}";

    @Test
    void aVersion1DatabaseIsMigratedInPlaceToVersionsSubRecordsAndATypedInFlightMarker() throws Exception {
        Path file = dir.resolve("v1.db");
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + file); var s = c.createStatement()) {
            s.execute("CREATE TABLE nodes(name TEXT PRIMARY KEY, record TEXT NOT NULL)");
            s.execute("CREATE TABLE events(id INTEGER PRIMARY KEY AUTOINCREMENT, node TEXT NOT NULL,"
                    + " at TEXT NOT NULL, type TEXT NOT NULL, message TEXT NOT NULL)");
            s.execute("CREATE TABLE documents(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
            s.execute("INSERT INTO nodes VALUES('n1', '" + V1_RECORD + "')");
            s.execute("PRAGMA user_version = 1");
        }
        NodeRecord expected = StoreUnderTest.record("n1", ProvisioningState.PROVISIONING);
        try (SqliteStateStore s = new SqliteStateStore(file, false)) {
            Versioned<NodeRecord> read = s.loadNode("n1").orElseThrow();
            assertThat(read.version()).isEqualTo(1);
            assertThat(read.value().operation().inFlight())
                    .isEqualTo(new InFlight(InFlight.Call.REBOOT, expected.updatedAt()));
            assertThat(read.value()).isEqualTo(expected);
            assertThat(s.saveNode(read.value(), 1)).isEqualTo(2);
            assertThat(s.loadRollouts()).as("v4: the rollouts table exists, empty").isEmpty();
        }
        try (var c = DriverManager.getConnection("jdbc:sqlite:" + file); var s = c.createStatement();
                var rs = s.executeQuery("PRAGMA user_version")) {
            assertThat(rs.getInt(1)).isEqualTo(4);
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

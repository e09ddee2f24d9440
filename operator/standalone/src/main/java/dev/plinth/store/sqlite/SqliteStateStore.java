package dev.plinth.store.sqlite;

import dev.plinth.api.DesiredState;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.RevisionStatus;
import dev.plinth.core.fleet.RolloutState;
import dev.plinth.files.PrivateFiles;
import dev.plinth.json.Json;
import dev.plinth.store.NodeEvent;
import dev.plinth.store.StateStore;
import dev.plinth.store.StoreConflictException;
import dev.plinth.store.StoreException;
import dev.plinth.store.Versioned;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The embedded store of standalone mode: one SQLite database in write-ahead-log mode (see docs/state-store.md for
 * why SQLite). A committed transaction survives {@code kill -9} of the controller; with {@code durable=true} it also
 * survives power loss (fsync on every commit, slower). One connection, writes serialised: SQLite allows one writer
 * anyway, and a write here takes tens of microseconds. Every port of {@link StateStore} lives here; the documents
 * table holds each singleton (revision in force, last stable, revision status, deploy registry) under a private key.
 */
public final class SqliteStateStore implements StateStore {
    private static final int SCHEMA_VERSION = 4;
    private static final int EVENTS_KEPT = 200_000;
    private static final String DESIRED = "desired";
    private static final String LAST_STABLE = "last-stable";
    private static final String REVISIONS = "revisions";
    private static final String DEPLOYS = "agent-deploys";

    private final Connection db;
    private final PreparedStatement selectVersion;
    private final PreparedStatement insertNode;
    private final PreparedStatement updateNode;
    private final PreparedStatement deleteNode;
    private final PreparedStatement insertEvent;
    private long eventsSincePrune;

    public SqliteStateStore(Path file, boolean durable) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            ownerOnly(file);
            db = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=" + (durable ? "FULL" : "NORMAL"));
                s.execute("PRAGMA busy_timeout=5000");
                SqliteSchema.migrate(s, SCHEMA_VERSION);
            }
            db.setAutoCommit(false);
            selectVersion = db.prepareStatement("SELECT version FROM nodes WHERE name = ?");
            // conditional writes: the version check costs no extra read unless it fails
            insertNode = db.prepareStatement("INSERT OR IGNORE INTO nodes(name, record, version) VALUES(?, ?, 1)");
            updateNode = db.prepareStatement(
                    "UPDATE nodes SET record = ?, version = version + 1 WHERE name = ? AND version = ?");
            deleteNode = db.prepareStatement("DELETE FROM nodes WHERE name = ?");
            insertEvent = db.prepareStatement("INSERT INTO events(node, at, type, message) VALUES(?, ?, ?, ?)");
        } catch (Exception e) {
            throw new StoreException("cannot open state database " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The database holds every node's BMC address and deploy history: 0600. SQLite creates the -wal and -shm files
     * with the database file's mode, so an empty database made 0600 before the first open is enough; files of an
     * older, looser store are tightened.
     */
    private static void ownerOnly(Path file) throws java.io.IOException {
        PrivateFiles.file(file);
        for (String suffix : new String[] {"-wal", "-shm", "-journal"}) {
            PrivateFiles.tighten(file.resolveSibling(file.getFileName() + suffix));
        }
    }

    // --- node status ---------------------------------------------------------------------------------------------

    @Override
    public synchronized Map<String, Versioned<NodeRecord>> loadNodes() {
        Map<String, Versioned<NodeRecord>> out = new HashMap<>();
        try (Statement s = db.createStatement();
                ResultSet rs = s.executeQuery("SELECT name, record, version FROM nodes")) {
            while (rs.next()) {
                out.put(rs.getString(1), new Versioned<>(Json.read(rs.getString(2), NodeRecord.class), rs.getLong(3)));
            }
            db.commit();
        } catch (SQLException e) {
            throw new StoreException("cannot read nodes: " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    public synchronized Optional<Versioned<NodeRecord>> loadNode(String name) {
        try (PreparedStatement q = db.prepareStatement("SELECT record, version FROM nodes WHERE name = ?")) {
            q.setString(1, name);
            try (ResultSet rs = q.executeQuery()) {
                Optional<Versioned<NodeRecord>> out = rs.next()
                        ? Optional.of(new Versioned<>(Json.read(rs.getString(1), NodeRecord.class), rs.getLong(2)))
                        : Optional.empty();
                db.commit();
                return out;
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read node " + name + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized long saveNode(NodeRecord record, long expectedVersion) {
        return saveNode(record, expectedVersion, null);
    }

    /**
     * Stores the record and appends the event in one transaction. Standalone's own guarantee (its crash test counts
     * events); the ports do not require it, since Kubernetes cannot give it.
     */
    @Override
    public synchronized long saveNode(NodeRecord record, long expectedVersion, NodeEvent event) {
        try {
            long version = writeNode(record, expectedVersion);
            insert(event);
            db.commit();
            return version;
        } catch (SQLException e) {
            rollback();
            throw new StoreException("cannot save node " + record.name() + ": " + e.getMessage(), e);
        } catch (StoreConflictException e) {
            rollback();
            throw e;
        }
    }

    private long writeNode(NodeRecord record, long expectedVersion) throws SQLException {
        int written;
        if (expectedVersion == Versioned.ABSENT) {
            insertNode.setString(1, record.name());
            insertNode.setString(2, Json.write(record));
            written = insertNode.executeUpdate();
        } else {
            updateNode.setString(1, Json.write(record));
            updateNode.setString(2, record.name());
            updateNode.setLong(3, expectedVersion);
            written = updateNode.executeUpdate();
        }
        if (written == 0) {
            throw new StoreConflictException("node " + record.name(), expectedVersion, storedVersion(record.name()));
        }
        return expectedVersion + 1;
    }

    private long storedVersion(String name) throws SQLException {
        selectVersion.setString(1, name);
        try (ResultSet rs = selectVersion.executeQuery()) {
            return rs.next() ? rs.getLong(1) : Versioned.ABSENT;
        }
    }

    @Override
    public synchronized void deleteNode(String name, long expectedVersion) {
        deleteNode(name, expectedVersion, null);
    }

    /** Deletes the record and appends the event in one transaction (see {@link #saveNode(NodeRecord, long, NodeEvent)}). */
    @Override
    public synchronized void deleteNode(String name, long expectedVersion, NodeEvent event) {
        try {
            long stored = storedVersion(name);
            if (stored != Versioned.ABSENT && stored != expectedVersion) {
                throw new StoreConflictException("node " + name, expectedVersion, stored);
            }
            deleteNode.setString(1, name);
            deleteNode.executeUpdate();
            insert(event);
            db.commit();
        } catch (SQLException e) {
            rollback();
            throw new StoreException("cannot delete node " + name + ": " + e.getMessage(), e);
        } catch (StoreConflictException e) {
            rollback();
            throw e;
        }
    }

    // --- node history --------------------------------------------------------------------------------------------

    @Override
    public synchronized void append(NodeEvent event) {
        try {
            insert(event);
            db.commit();
        } catch (SQLException e) {
            rollback();
            throw new StoreException("cannot append an event of " + event.node() + ": " + e.getMessage(), e);
        }
    }

    private void insert(NodeEvent event) throws SQLException {
        if (event == null) {
            return;
        }
        insertEvent.setString(1, event.node());
        insertEvent.setString(2, event.at().toString());
        insertEvent.setString(3, event.type());
        insertEvent.setString(4, event.message());
        insertEvent.executeUpdate();
        if (++eventsSincePrune >= 10_000) {
            eventsSincePrune = 0;
            try (Statement s = db.createStatement()) {
                s.executeUpdate("DELETE FROM events WHERE id <= (SELECT MAX(id) FROM events) - " + EVENTS_KEPT);
            }
        }
    }

    @Override
    public synchronized List<NodeEvent> events(String node, int limit) {
        List<NodeEvent> out = new ArrayList<>();
        try (PreparedStatement q = db.prepareStatement(
                "SELECT at, type, message FROM events WHERE node = ? ORDER BY id DESC LIMIT ?")) {
            q.setString(1, node);
            q.setInt(2, limit);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    out.add(new NodeEvent(Instant.parse(rs.getString(1)), node, rs.getString(2), rs.getString(3)));
                }
            }
            db.commit();
        } catch (SQLException e) {
            throw new StoreException("cannot read events of " + node + ": " + e.getMessage(), e);
        }
        Collections.reverse(out);
        return out;
    }

    // --- revisions -----------------------------------------------------------------------------------------------

    @Override
    public synchronized Optional<DesiredState> inForce() {
        return document(DESIRED).map(j -> Json.read(j, DesiredState.class));
    }

    @Override
    public synchronized void putInForce(DesiredState state, RevisionStatus status) {
        try {
            put(DESIRED, Json.write(state));
            put(REVISIONS, Json.write(status));
            db.commit();
        } catch (SQLException e) {
            rollback();
            throw new StoreException("cannot put revision " + state.revision() + " in force: " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized RevisionStatus revisionStatus() {
        return document(REVISIONS).map(j -> Json.read(j, RevisionStatus.class)).orElse(RevisionStatus.NONE);
    }

    @Override
    public synchronized void putRevisionStatus(RevisionStatus status) {
        putDocument(REVISIONS, Json.write(status));
    }

    @Override
    public synchronized Optional<DesiredState> lastStable() {
        return document(LAST_STABLE).map(j -> Json.read(j, DesiredState.class));
    }

    @Override
    public synchronized void putLastStable(DesiredState state) {
        putDocument(LAST_STABLE, Json.write(state));
    }

    // --- deploy registry -----------------------------------------------------------------------------------------

    @Override
    public synchronized Optional<String> loadDeployRegistry() {
        return document(DEPLOYS);
    }

    @Override
    public synchronized void saveDeployRegistry(String document) {
        putDocument(DEPLOYS, document);
    }

    // --- rollouts ------------------------------------------------------------------------------------------------

    @Override
    public synchronized Map<String, RolloutState> loadRollouts() {
        Map<String, RolloutState> out = new HashMap<>();
        try (Statement s = db.createStatement();
                ResultSet rs = s.executeQuery("SELECT role, state FROM rollouts")) {
            while (rs.next()) {
                out.put(rs.getString(1), Json.read(rs.getString(2), RolloutState.class));
            }
            db.commit();
        } catch (SQLException e) {
            throw new StoreException("cannot read rollouts: " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    public synchronized void saveRollout(RolloutState state) {
        try (PreparedStatement u = db.prepareStatement("INSERT INTO rollouts(role, state) VALUES(?, ?) "
                + "ON CONFLICT(role) DO UPDATE SET state = excluded.state")) {
            u.setString(1, state.role());
            u.setString(2, Json.write(state));
            u.executeUpdate();
            db.commit();
        } catch (SQLException e) {
            rollback();
            throw new StoreException("cannot save the rollout of " + state.role() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void deleteRollout(String role) {
        try (PreparedStatement d = db.prepareStatement("DELETE FROM rollouts WHERE role = ?")) {
            d.setString(1, role);
            d.executeUpdate();
            db.commit();
        } catch (SQLException e) {
            rollback();
            throw new StoreException("cannot delete the rollout of " + role + ": " + e.getMessage(), e);
        }
    }

    // --- documents -----------------------------------------------------------------------------------------------

    private Optional<String> document(String key) {
        try (PreparedStatement q = db.prepareStatement("SELECT value FROM documents WHERE key = ?")) {
            q.setString(1, key);
            try (ResultSet rs = q.executeQuery()) {
                Optional<String> v = rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
                db.commit();
                return v;
            }
        } catch (SQLException e) {
            throw new StoreException("cannot read " + key + ": " + e.getMessage(), e);
        }
    }

    private void putDocument(String key, String json) {
        try {
            put(key, json);
            db.commit();
        } catch (SQLException e) {
            rollback();
            throw new StoreException("cannot write " + key + ": " + e.getMessage(), e);
        }
    }

    private void put(String key, String json) throws SQLException {
        try (PreparedStatement u = db.prepareStatement("INSERT INTO documents(key, value) VALUES(?, ?) "
                + "ON CONFLICT(key) DO UPDATE SET value = excluded.value")) {
            u.setString(1, key);
            u.setString(2, json);
            u.executeUpdate();
        }
    }

    private void rollback() {
        try {
            db.rollback();
        } catch (SQLException ignored) {
            // the original failure is what the caller needs to see
        }
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException e) {
            throw new StoreException("cannot close state database: " + e.getMessage(), e);
        }
    }
}

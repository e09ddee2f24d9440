package dev.plinth.store.sqlite;

import dev.plinth.json.Json;
import dev.plinth.store.NodeEvent;
import dev.plinth.store.StateStore;
import dev.plinth.store.StoreException;

import dev.plinth.core.NodeRecord;
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
 * anyway, and a write here takes tens of microseconds.
 */
public final class SqliteStateStore implements StateStore {
    private static final int SCHEMA_VERSION = 1;
    private static final int EVENTS_KEPT = 200_000;

    private final Connection db;
    private final PreparedStatement upsertNode;
    private final PreparedStatement deleteNode;
    private final PreparedStatement insertEvent;
    private long eventsSincePrune;

    public SqliteStateStore(Path file, boolean durable) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            db = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=" + (durable ? "FULL" : "NORMAL"));
                s.execute("PRAGMA busy_timeout=5000");
                migrate(s);
            }
            db.setAutoCommit(false);
            upsertNode = db.prepareStatement("INSERT INTO nodes(name, record) VALUES(?, ?) "
                    + "ON CONFLICT(name) DO UPDATE SET record = excluded.record");
            deleteNode = db.prepareStatement("DELETE FROM nodes WHERE name = ?");
            insertEvent = db.prepareStatement("INSERT INTO events(node, at, type, message) VALUES(?, ?, ?, ?)");
        } catch (Exception e) {
            throw new StoreException("cannot open state database " + file + ": " + e.getMessage(), e);
        }
    }

    private static void migrate(Statement s) throws SQLException {
        int version;
        try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
            version = rs.getInt(1);
        }
        if (version > SCHEMA_VERSION) {
            throw new SQLException("database schema " + version + " is newer than this Plinth (" + SCHEMA_VERSION
                    + "): upgrade Plinth or point it at another state directory");
        }
        if (version < 1) {
            s.execute("CREATE TABLE IF NOT EXISTS nodes(name TEXT PRIMARY KEY, record TEXT NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY AUTOINCREMENT, node TEXT NOT NULL,"
                    + " at TEXT NOT NULL, type TEXT NOT NULL, message TEXT NOT NULL)");
            s.execute("CREATE INDEX IF NOT EXISTS events_by_node ON events(node, id)");
            s.execute("CREATE TABLE IF NOT EXISTS documents(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
            s.execute("PRAGMA user_version = " + SCHEMA_VERSION);
        }
    }

    @Override
    public synchronized Map<String, NodeRecord> loadNodes() {
        Map<String, NodeRecord> out = new HashMap<>();
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT name, record FROM nodes")) {
            while (rs.next()) {
                out.put(rs.getString(1), Json.read(rs.getString(2), NodeRecord.class));
            }
            db.commit();
        } catch (SQLException e) {
            throw new StoreException("cannot read nodes: " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    public synchronized void saveNode(NodeRecord record, NodeEvent event) {
        try {
            upsertNode.setString(1, record.name());
            upsertNode.setString(2, Json.write(record));
            upsertNode.executeUpdate();
            insert(event);
            db.commit();
        } catch (SQLException e) {
            rollback();
            throw new StoreException("cannot save node " + record.name() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void deleteNode(String name, NodeEvent event) {
        try {
            deleteNode.setString(1, name);
            deleteNode.executeUpdate();
            insert(event);
            db.commit();
        } catch (SQLException e) {
            rollback();
            throw new StoreException("cannot delete node " + name + ": " + e.getMessage(), e);
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

    @Override
    public synchronized Optional<String> getDocument(String key) {
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

    @Override
    public synchronized void putDocument(String key, String json) {
        try (PreparedStatement u = db.prepareStatement("INSERT INTO documents(key, value) VALUES(?, ?) "
                + "ON CONFLICT(key) DO UPDATE SET value = excluded.value")) {
            u.setString(1, key);
            u.setString(2, json);
            u.executeUpdate();
            db.commit();
        } catch (SQLException e) {
            rollback();
            throw new StoreException("cannot write " + key + ": " + e.getMessage(), e);
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

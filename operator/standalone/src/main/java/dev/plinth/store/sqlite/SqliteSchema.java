package dev.plinth.store.sqlite;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** Creates the state database and migrates older ones forward, one version at a time, in place. */
final class SqliteSchema {
    private SqliteSchema() {}

    static void migrate(Statement s, int target) throws SQLException {
        int version;
        try (ResultSet rs = s.executeQuery("PRAGMA user_version")) {
            version = rs.getInt(1);
        }
        if (version > target) {
            throw new SQLException("database schema " + version + " is newer than this Plinth (" + target
                    + "): upgrade Plinth or point it at another state directory");
        }
        if (version < 1) {
            s.execute("CREATE TABLE IF NOT EXISTS nodes(name TEXT PRIMARY KEY, record TEXT NOT NULL)");
            s.execute("CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY AUTOINCREMENT, node TEXT NOT NULL,"
                    + " at TEXT NOT NULL, type TEXT NOT NULL, message TEXT NOT NULL)");
            s.execute("CREATE INDEX IF NOT EXISTS events_by_node ON events(node, id)");
            s.execute("CREATE TABLE IF NOT EXISTS documents(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
            s.execute("PRAGMA user_version = 1");
        }
        if (version < 2) {
            // v2: a version per node record (writes on a stale version are conflicts), and the in-flight marker
            // typed: the string "Reboot" becomes {"call":"REBOOT","since":<the record's updatedAt>}
            s.execute("ALTER TABLE nodes ADD COLUMN version INTEGER NOT NULL DEFAULT 1");
            s.execute("UPDATE nodes SET record = json_set(record, '$.inFlight', json_object('call', 'REBOOT',"
                    + " 'since', json_extract(record, '$.updatedAt'))) WHERE json_extract(record, '$.inFlight') = 'Reboot'");
            s.execute("PRAGMA user_version = 2");
        }
        if (version < 3) {
            // v3: the record's 30 flat fields grouped into operation, power, deploy and error
            NodeRecordV3.migrate(s.getConnection());
            s.execute("PRAGMA user_version = 3");
        }
        if (version < 4) {
            // v4: each role's rollout state (stable and target revision, admitted members, last failure)
            s.execute("CREATE TABLE IF NOT EXISTS rollouts(role TEXT PRIMARY KEY, state TEXT NOT NULL)");
            s.execute("PRAGMA user_version = 4");
        }
    }
}

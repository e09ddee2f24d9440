package dev.plinth.store.sqlite;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.json.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;

/** Schema 3: node records written flat by schema 1 and 2 regrouped into their sub-records, in place. */
final class NodeRecordV3 {
    /** New group, then old flat field name to its name inside the group. */
    private static final Map<String, Map<String, String>> GROUPS = new LinkedHashMap<>();

    static {
        GROUPS.put("operation", Map.of("step", "step", "stepStartedAt", "stepStartedAt", "attempt", "attempt",
                "notBefore", "notBefore", "operationStartedAt", "startedAt", "lastOperationMillis", "lastMillis",
                "timings", "timings", "inFlight", "inFlight"));
        GROUPS.put("power", Map.of("powerState", "state", "bootDevice", "bootDevice", "checkedAt", "checkedAt"));
        GROUPS.put("deploy", Map.of("deploySerial", "serial", "deployId", "id", "targetImage", "targetImage",
                "deployPhase", "phase", "bytesWritten", "bytesWritten", "bytesTotal", "bytesTotal",
                "deployMillis", "phaseMillis"));
        GROUPS.put("error", Map.of("errorCount", "count", "errorKind", "kind", "errorMessage", "message",
                "failedOperation", "failedOperation"));
    }

    private NodeRecordV3() {}

    static void migrate(Connection db) throws SQLException {
        Map<String, String> rewritten = new LinkedHashMap<>();
        try (Statement q = db.createStatement(); ResultSet rs = q.executeQuery("SELECT name, record FROM nodes")) {
            while (rs.next()) {
                rewritten.put(rs.getString(1), regroup(rs.getString(2)));
            }
        }
        try (PreparedStatement u = db.prepareStatement("UPDATE nodes SET record = ? WHERE name = ?")) {
            for (var e : rewritten.entrySet()) {
                u.setString(1, e.getValue());
                u.setString(2, e.getKey());
                u.executeUpdate();
            }
        }
    }

    static String regroup(String flatJson) throws SQLException {
        try {
            ObjectNode flat = (ObjectNode) Json.MAPPER.readTree(flatJson);
            for (var group : GROUPS.entrySet()) {
                ObjectNode sub = flat.objectNode();
                group.getValue().forEach((old, field) -> {
                    if (flat.has(old)) {
                        sub.set(field, flat.remove(old));
                    }
                });
                flat.set(group.getKey(), sub);
            }
            return Json.MAPPER.writeValueAsString(flat);
        } catch (JsonProcessingException | ClassCastException e) {
            throw new SQLException("cannot migrate a node record to schema 3: " + e.getMessage(), e);
        }
    }
}

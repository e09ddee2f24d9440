package dev.plinth.reconcile;

import dev.plinth.core.NodeLifecycle;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.store.NodeEvent;
import java.time.Instant;
import java.util.Objects;

/** The event for a record change: one for each state change, step change and new error, none for progress. */
public final class NodeEvents {
    public static final String STATE = "State";
    public static final String ERROR = "Error";
    public static final String STEP = "Step";
    public static final String RETRY = "Retry";
    public static final String FORGOTTEN = "Forgotten";
    /** A call found in flight after a restart was verified: what the machine showed and what follows. */
    public static final String RECOVERED = "Recovered";
    /** A security event the deploy driver saw (e.g. a node's boot credential asked for twice); once per alert. */
    public static final String SECURITY = "Security";

    /** A node without a record was found running from disk and taken as running its image, unverified. */
    public static final String ADOPTED = "Adopted";

    /** An adopted node's running OS proved its image (or proved another one: then a re-image follows). */
    public static final String VERIFIED = "Verified";

    /** A provisioned node seen to differ from the desired state (what, expected, observed, what is done). */
    public static final String DRIFT = "Drift";
    /** A drift no longer seen: healed, or put right by someone else. */
    public static final String DRIFT_RESOLVED = "DriftResolved";

    /** A running OS was asked to shut down, and how it ended: shut down, or forced off. */
    public static final String SHUTDOWN = "Shutdown";

    /** The machine's inventory was read from its BMC (what it says, and what the BMC did not serve). */
    public static final String INVENTORY = "Inventory";

    private NodeEvents() {}

    /** Whether {@code after} records a drift, or an action on it, that {@code before} did not. */
    public static boolean newDrift(NodeRecord before, NodeRecord after) {
        NodeRecord.Drift a = after.drift();
        if (!a.seen() || a.action() == null) {
            return false;
        }
        NodeRecord.Drift b = before == null ? NodeRecord.Drift.NONE : before.drift();
        return !b.sameAs(a) || !Objects.equals(b.action(), a.action());
    }

    /** The event worth recording when {@code before} (null for a new node) becomes {@code after}, or null. */
    public static NodeEvent between(NodeRecord before, NodeRecord after) {
        String message = null;
        String type = STATE;
        if (before == null) {
            message = "registered";
        } else if (before.state() == ProvisioningState.REGISTERING && after.state() == ProvisioningState.PROVISIONED) {
            type = ADOPTED;
            message = after.message();
        } else if (before.imageUnverified() && !after.imageUnverified() && before.state() == after.state()) {
            type = VERIFIED;
            message = after.message();
        } else if (before.state() != after.state()) {
            message = before.state() + " -> " + after.state();
            if (after.error().message() != null && after.error().count() > before.error().count()) {
                type = ERROR;
                message += ": " + after.error().message() + " (" + after.error().kind() + ")";
            }
        } else if ((before.shutdown() == null) != (after.shutdown() == null)) {
            type = SHUTDOWN;
            message = after.message();
        } else if (newDrift(before, after)) {
            type = DRIFT;
            message = after.message();
        } else if (before.drift().seen() && !after.drift().seen()) {
            type = DRIFT_RESOLVED;
            message = "no longer seen: " + before.drift() + " (since " + before.drift().since() + ")";
        } else if (!Objects.equals(before.operation().step(), after.operation().step()) && after.operation().step() != null) {
            type = STEP;
            message = after.state() + "/" + after.operation().step();
        } else if (after.operation().attempt() > before.operation().attempt()) {
            type = RETRY;
            message = after.message();
        } else if (after.bmcInventory() != null && !after.bmcInventory().isEmpty() && (before.bmcInventory() == null
                || !Objects.equals(before.bmcInventory().at(), after.bmcInventory().at()))) {
            type = INVENTORY;
            message = inventoryMessage(after.bmcInventory());
        } else if (alert(after) != null && !alert(after).equals(alert(before))) {
            // the progress around it changes on every poll; the alert is recorded when it is new
            type = SECURITY;
            message = alert(after);
        }
        return message == null ? null : new NodeEvent(after.updatedAt(), after.name(), type, message);
    }

    /** The security alert a message carries ({@link NodeLifecycle#SECURITY} to its end), or null. */
    private static String alert(NodeRecord rec) {
        String m = rec.message();
        int at = m == null ? -1 : m.indexOf(NodeLifecycle.SECURITY);
        return at < 0 ? null : m.substring(at);
    }

    /** The event of a recovery: {@code after}, the record the read-back of an interrupted call led to. */
    public static NodeEvent recovered(NodeRecord after) {
        return new NodeEvent(after.updatedAt(), after.name(), RECOVERED, after.message());
    }

    public static NodeEvent forgotten(String node, Instant at) {
        return new NodeEvent(at, node, FORGOTTEN, "removed from the desired state and no longer managed");
    }

    /** One line for a BMC inventory: what it says and what it left out. */
    static String inventoryMessage(dev.plinth.driver.BmcInventory inv) {
        java.util.List<String> parts = new java.util.ArrayList<>();
        String machine = java.util.stream.Stream.of(inv.manufacturer(), inv.model()).filter(Objects::nonNull)
                .collect(java.util.stream.Collectors.joining(" "));
        if (!machine.isEmpty()) {
            parts.add(machine);
        }
        if (inv.serialNumber() != null) {
            parts.add("serial " + inv.serialNumber());
        }
        if (inv.cpus() != null) {
            parts.add(inv.cpus() + " CPU(s)");
        }
        if (inv.memoryBytes() != null) {
            parts.add((inv.memoryBytes() >> 20) + " MiB");
        }
        parts.add(inv.nics().size() + " NIC(s)");
        parts.add(inv.disks().size() + " disk(s)");
        String m = "read from the BMC: " + String.join(", ", parts);
        return inv.unavailable().isEmpty() ? m : m + "; not read: " + String.join("; ", inv.unavailable());
    }
}

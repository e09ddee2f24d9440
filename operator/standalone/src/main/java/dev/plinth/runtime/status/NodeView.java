package dev.plinth.runtime.status;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.plinth.agent.Inventory;
import dev.plinth.api.NodeStatus;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.NodeStatusMapper;
import dev.plinth.store.NodeEvent;
import java.util.List;

/**
 * A node as standalone mode's status API and CLI show it: the public {@link NodeStatus} (its fields inline in the
 * JSON) beside what the revision in force asks for, and the node's recent history.
 *
 * @param inGit whether the node is in the revision in force (false: it is being deprovisioned)
 * @param settled see {@link dev.plinth.core.fleet.Settled}: the one definition status and the CLI share
 * @param inventory the hardware the node's deploy ramdisk last reported (with the deploy agent, after a deploy) and
 *     as its BMC described it ({@code bmc}, where the BMC has an inventory: Redfish); only in a single node's view,
 *     absent when there is neither
 */
public record NodeView(
        String name,
        boolean inGit,
        boolean online,
        String desiredImage,
        boolean settled,
        @JsonUnwrapped NodeStatus status,
        List<NodeEvent> events,
        @JsonInclude(JsonInclude.Include.NON_NULL) InventoryView inventory) {

    /**
     * The node's inventory as shown: the ramdisk's fields inline (as before BMC inventories), the BMC's under
     * {@code bmc}; the operator's {@code status.inventory} has the same shape.
     */
    public record InventoryView(@JsonUnwrapped Inventory ramdisk,
            @JsonInclude(JsonInclude.Include.NON_NULL) dev.plinth.driver.BmcInventory bmc) {
        static InventoryView of(Inventory ramdisk, dev.plinth.driver.BmcInventory bmc) {
            dev.plinth.driver.BmcInventory shown = bmc == null || bmc.isEmpty() ? null : bmc;
            return ramdisk == null && shown == null ? null : new InventoryView(ramdisk, shown);
        }
    }

    static NodeView of(NodeRecord r, boolean inGit, boolean online, String desiredImage, boolean settled,
            List<NodeEvent> events) {
        return of(r, inGit, online, desiredImage, settled, events, null);
    }

    static NodeView of(NodeRecord r, boolean inGit, boolean online, String desiredImage, boolean settled,
            List<NodeEvent> events, InventoryView inventory) {
        return new NodeView(r.name(), inGit, online, desiredImage, settled, NodeStatusMapper.toStatus(r), events,
                inventory);
    }

    /** A single node's view, with its inventories. */
    static NodeView detailed(NodeRecord r, boolean inGit, boolean online, String desiredImage, boolean settled,
            List<NodeEvent> events, Inventory ramdisk) {
        return of(r, inGit, online, desiredImage, settled, events, InventoryView.of(ramdisk, r.bmcInventory()));
    }
}

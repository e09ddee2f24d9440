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
 * @param inventory the hardware the node's deploy ramdisk last reported; only in a single node's view, and only
 *     with the deploy agent (absent with the FAKE driver or before the first deploy)
 */
public record NodeView(
        String name,
        boolean inGit,
        boolean online,
        String desiredImage,
        boolean settled,
        @JsonUnwrapped NodeStatus status,
        List<NodeEvent> events,
        @JsonInclude(JsonInclude.Include.NON_NULL) Inventory inventory) {

    static NodeView of(NodeRecord r, boolean inGit, boolean online, String desiredImage, boolean settled,
            List<NodeEvent> events) {
        return of(r, inGit, online, desiredImage, settled, events, null);
    }

    static NodeView of(NodeRecord r, boolean inGit, boolean online, String desiredImage, boolean settled,
            List<NodeEvent> events, Inventory inventory) {
        return new NodeView(r.name(), inGit, online, desiredImage, settled, NodeStatusMapper.toStatus(r), events,
                inventory);
    }
}

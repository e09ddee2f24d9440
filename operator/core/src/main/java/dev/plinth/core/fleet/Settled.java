package dev.plinth.core.fleet;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.core.ImageRef;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.PowerState;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * The one definition of "settled" (a node) and "converged" (a fleet), used by status, the CLI's waits and tests.
 *
 * <p>A node is settled when the lifecycle has nothing left to do for it but periodic drift checks: no operation
 * runs, no error is recorded (not even a failed BMC check on an idle node), no call is in flight, and
 * <ul>
 *   <li>with an image to run: it is PROVISIONED with that image, same name <em>and</em> checksum (as the lifecycle
 *       compares them: renaming an image re-provisions), powered as {@code spec.online} asks and booting from disk;
 *       </li>
 *   <li>with nothing to run: it is AVAILABLE and not powered on (the lifecycle powers such a node off).</li>
 * </ul>
 * Power or boot device the BMC has not reported (UNKNOWN, null) do not unsettle a node, as the lifecycle does not
 * act on them either.
 */
public final class Settled {
    private Settled() {}

    /**
     * @param desiredImage the image the node should run, null when none
     * @param online the node's {@code spec.online}
     */
    public static boolean settled(NodeRecord r, DiskImage desiredImage, boolean online) {
        if (r.operation().step() != null || r.error().kind() != null || r.operation().inFlight() != null) {
            return false;
        }
        if (desiredImage == null) {
            return r.state() == ProvisioningState.AVAILABLE && r.power().state() != PowerState.ON;
        }
        return r.state() == ProvisioningState.PROVISIONED
                && ImageRef.of(desiredImage).equals(r.image())
                && r.power().state() != (online ? PowerState.OFF : PowerState.ON)
                && (r.power().bootDevice() == null || r.power().bootDevice() == BootDevice.DISK);
    }

    /** Whether the node named by {@code r} is settled on what {@code state} asks of it; false when not desired. */
    public static boolean settled(NodeRecord r, DesiredState state) {
        BareMetalNode node = state.nodes().get(r.name());
        return node != null && settled(r, RoleResolver.imageFor(state, node).orElse(null), node.spec().online());
    }

    /**
     * Every desired node has a record and is settled, and no record is left for a node that is no longer desired
     * (it is still being deprovisioned).
     */
    public static boolean converged(DesiredState state, Collection<NodeRecord> records) {
        return converged(state, records, n -> RoleResolver.imageFor(state, n).orElse(null));
    }

    /** As {@link #converged(DesiredState, Collection)}, each node measured against the image {@code imageOf} gives. */
    public static boolean converged(DesiredState state, Collection<NodeRecord> records,
            java.util.function.Function<BareMetalNode, DiskImage> imageOf) {
        if (records.size() != state.nodes().size()) {
            return false;
        }
        Map<String, NodeRecord> byName = new HashMap<>();
        records.forEach(r -> byName.put(r.name(), r));
        for (BareMetalNode node : state.nodes().values()) {
            NodeRecord r = byName.get(node.name());
            if (r == null || !settled(r, imageOf.apply(node), node.spec().online())) {
                return false;
            }
        }
        return true;
    }
}

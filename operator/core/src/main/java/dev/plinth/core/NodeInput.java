package dev.plinth.core;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.DiskImage;
import dev.plinth.api.DriftPolicy;

/**
 * The desired side of one node at one instant, whatever the source (a Git revision, a custom resource).
 *
 * @param node the node's spec in the desired state in force; null when the node was removed from it
 * @param image the image it should run (its own or its role's); null for none
 * @param imageAvailability whether {@code image} can be served; READY when image is null
 * @param drift what to do when the node is seen to differ from what is desired (its role's or cloud's policy)
 * @param role the Cloud role the node is a member of, as {@code cloud/role}; empty when none. A provisioned node
 *     whose role changes moves: it is wiped and provisioned again for the new role
 * @param gate whether a move out of the node's role, or an image-drift heal, may take it out of service now (the
 *     fleet plan's, under the role's capacity)
 * @param checkIn whether a deploy waits for the written OS to check in before it counts as done (its role's
 *     {@code healthCheck.checkIn}; true for a node in no role). False: the deploy is done once the machine was
 *     rebooted into its disk, and the role's health gate waits only for its probes
 * @param inspectRequested when someone last asked for the node to be inspected on demand ({@code plinth inspect},
 *     the {@code plinth.dev/inspect} annotation); null when nobody did. A request newer than the node's last
 *     inventory reading has the BMC read again
 * @param inspectBoot when an inspection boot was asked for (and accepted: the node was available then); null when
 *     none. An available node idle since before it boots the deploy ramdisk to report its hardware
 *     ({@link ProvisioningState#INSPECTING}); an operation begun after it (a deploy, which inventories anyway)
 *     supersedes it
 */
public record NodeInput(String name, BareMetalNode node, DiskImage image, ImageAvailability imageAvailability,
        DriftPolicy drift, String role, DisruptionGate gate, boolean checkIn, java.time.Instant inspectRequested,
        java.time.Instant inspectBoot) {

    public NodeInput {
        drift = drift == null ? DriftPolicy.HEAL : drift;
        role = role == null ? "" : role;
        gate = gate == null ? DisruptionGate.FREE : gate;
    }

    /** No inspection asked for. */
    public NodeInput(String name, BareMetalNode node, DiskImage image, ImageAvailability imageAvailability,
            DriftPolicy drift, String role, DisruptionGate gate, boolean checkIn) {
        this(name, node, image, imageAvailability, drift, role, gate, checkIn, null, null);
    }

    /** The same input, with an inspection asked for at {@code at} (null: none). */
    public NodeInput withInspectRequested(java.time.Instant at) {
        return new NodeInput(name, node, image, imageAvailability, drift, role, gate, checkIn, at, inspectBoot);
    }

    /** The same input, with an inspection boot asked for at {@code at} (null: none). */
    public NodeInput withInspectBoot(java.time.Instant at) {
        return new NodeInput(name, node, image, imageAvailability, drift, role, gate, checkIn, inspectRequested, at);
    }

    /** Waiting for the check-in, as every node does unless its role says otherwise. */
    public NodeInput(String name, BareMetalNode node, DiskImage image, ImageAvailability imageAvailability,
            DriftPolicy drift, String role, DisruptionGate gate) {
        this(name, node, image, imageAvailability, drift, role, gate, true);
    }

    /** Nothing gated (no fleet plan). */
    public NodeInput(String name, BareMetalNode node, DiskImage image, ImageAvailability imageAvailability,
            DriftPolicy drift, String role) {
        this(name, node, image, imageAvailability, drift, role, DisruptionGate.FREE);
    }

    /** With the default drift policy, heal, and no role. */
    public NodeInput(String name, BareMetalNode node, DiskImage image, ImageAvailability imageAvailability) {
        this(name, node, image, imageAvailability, DriftPolicy.HEAL, "");
    }

    /** With no role. */
    public NodeInput(String name, BareMetalNode node, DiskImage image, ImageAvailability imageAvailability,
            DriftPolicy drift) {
        this(name, node, image, imageAvailability, drift, "");
    }

    public static NodeInput removed(String name) {
        return new NodeInput(name, null, null, ImageAvailability.READY);
    }

    /** Whether the node is in the desired state (false: it was removed and is to be deprovisioned). */
    public boolean isDesired() {
        return node != null;
    }

    public boolean online() {
        return node != null && node.spec().online();
    }

    /**
     * The spec in a canonical text form: equal strings mean no change worth acting on. (Not a hashCode: enum hash
     * codes differ between JVM runs, and this survives restarts.)
     */
    public String fingerprint() {
        if (node == null) {
            return "";
        }
        var s = node.spec();
        return String.join("|", s.bmc().address().text(), s.bmc().credentialsName(), s.bootMACAddress(),
                String.valueOf(s.online()), image == null ? "" : image.name() + "@" + image.spec().checksum(),
                String.valueOf(s.rootDeviceHints()));
    }
}

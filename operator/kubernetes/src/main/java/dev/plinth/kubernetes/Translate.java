package dev.plinth.kubernetes;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.BareMetalNodeSpec;
import dev.plinth.api.BmcAddress;
import dev.plinth.api.BmcSpec;
import dev.plinth.api.BootMethod;
import dev.plinth.api.DeployNetwork;
import dev.plinth.api.Cloud;
import dev.plinth.api.CloudRole;
import dev.plinth.api.CloudSpec;
import dev.plinth.api.Compression;
import dev.plinth.api.DiskImage;
import dev.plinth.api.DiskImageSpec;
import dev.plinth.api.DriftPolicy;
import dev.plinth.api.HealthCheck;
import dev.plinth.api.ImageFormat;
import dev.plinth.api.LabelSelector;
import dev.plinth.api.ObjectMeta;
import dev.plinth.api.ResourceRef;
import dev.plinth.api.RolloutPolicy;
import dev.plinth.api.RootDeviceHints;
import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.CloudResource;
import dev.plinth.kubernetes.crd.DiskImageResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Custom resources to the core's records. The API server has already checked what its schema can (patterns,
 * enums, ranges, CEL rules); what it cannot (a BMC address no driver serves) is an {@link Invalid}, which the
 * reconciler reports as a Stalled condition.
 */
public final class Translate {
    private Translate() {}

    /** A spec the schema let through but the core cannot use; the message names the field. */
    public static final class Invalid extends Exception {
        public Invalid(String message) {
            super(message);
        }
    }

    /** The node, named by its {@link NodeKey} so the core knows it as namespace/name. */
    public static BareMetalNode node(BareMetalNodeResource r) throws Invalid {
        var s = r.getSpec();
        if (s == null || s.bmc == null) {
            throw new Invalid("spec.bmc: required");
        }
        BmcAddress address;
        try {
            address = BmcAddress.parse(s.bmc.address);
        } catch (BmcAddress.Invalid e) {
            throw new Invalid("spec.bmc.address: " + String.join("; ", e.problems()));
        }
        var h = s.rootDeviceHints;
        RootDeviceHints hints = h == null ? RootDeviceHints.NONE
                : new RootDeviceHints(h.deviceName, h.model, h.vendor, h.serialNumber, h.wwn, h.minSizeGigabytes,
                        h.rotational);
        BootMethod method = s.bmc.bootMethod == dev.plinth.kubernetes.crd.BmcSpec.BootMethod.VIRTUAL_MEDIA
                ? BootMethod.VIRTUAL_MEDIA : BootMethod.PXE;
        DeployNetwork network = null;
        if (s.bmc.deployNetwork != null) {
            // the API server checked the form; the ranges and the subnet are checked here, as the loader does
            List<String> problems = DeployNetwork.problems(s.bmc.deployNetwork.address, s.bmc.deployNetwork.gateway);
            if (!problems.isEmpty()) {
                throw new Invalid("spec.bmc.deployNetwork: " + String.join("; ", problems));
            }
            network = new DeployNetwork(s.bmc.deployNetwork.address, s.bmc.deployNetwork.gateway);
        }
        return new BareMetalNode(meta(r, NodeKey.of(r)), new BareMetalNodeSpec(
                new BmcSpec(address, s.bmc.credentialsName, Boolean.TRUE.equals(s.bmc.disableCertificateVerification),
                        method, network),
                s.bootMACAddress, !Boolean.FALSE.equals(s.online),
                s.image == null ? null : new ResourceRef(s.image.name), hints));
    }

    /** The image, by its plain name: images are looked up within the node's namespace. */
    public static DiskImage image(DiskImageResource r) {
        var s = r.getSpec();
        ImageFormat format = s.format == null ? ImageFormat.RAW : ImageFormat.valueOf(s.format.name());
        Compression compression = s.compression == null ? Compression.NONE : Compression.valueOf(s.compression.name());
        return new DiskImage(meta(r, r.getMetadata().getName()),
                new DiskImageSpec(s.url, s.checksum, format, compression));
    }

    public static Cloud cloud(CloudResource r) {
        List<CloudRole> roles = new ArrayList<>();
        var spec = r.getSpec();
        if (spec != null && spec.roles != null) {
            for (var role : spec.roles) {
                var hc = role.healthCheck;
                HealthCheck health = hc == null ? HealthCheck.DEFAULT
                        : new HealthCheck(!Boolean.FALSE.equals(hc.checkIn), hc.tcpPort, hc.httpPort,
                                hc.httpPath == null ? "/" : hc.httpPath,
                                hc.host == null ? HealthCheck.NODE : hc.host,
                                Objects.requireNonNullElse(hc.timeoutSeconds, HealthCheck.DEFAULT.timeoutSeconds()));
                roles.add(new CloudRole(role.name, role.count == null ? 0 : role.count,
                        role.nodeSelector == null ? null : new LabelSelector(role.nodeSelector.matchLabels),
                        role.image == null ? null : new ResourceRef(role.image.name), rollout(role.rollout), health,
                        role.failureDomainLabel, drift(role.drift)));
            }
        }
        return new Cloud(meta(r, r.getMetadata().getName()), new CloudSpec(roles, spec == null ? null
                : drift(spec.drift)));
    }

    /** Null (absent) stays null: the core's RoleResolver falls back from the role to the cloud to heal. */
    private static DriftPolicy drift(dev.plinth.kubernetes.crd.CloudSpec.Drift d) {
        return d == null ? null : DriftPolicy.valueOf(d.name());
    }

    private static final java.util.regex.Pattern PERCENT = java.util.regex.Pattern.compile("0*([1-9][0-9]?|100)%");

    /**
     * What the schema cannot check of a Cloud's roles ({@code maxUnavailable}: a CEL rule on an int-or-string costs
     * more than the API server allows), in words naming the field, by role; empty when none. A role with a problem
     * is not rolled out.
     */
    public static java.util.Map<String, String> problems(CloudResource r) {
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        if (r.getSpec() == null || r.getSpec().roles == null) {
            return out;
        }
        for (var role : r.getSpec().roles) {
            var max = role.rollout == null ? null : role.rollout.maxUnavailable;
            boolean bad = max != null && (max.getStrVal() != null ? !PERCENT.matcher(max.getStrVal()).matches()
                    : max.getIntVal() == null || max.getIntVal() < 1);
            if (bad) {
                out.put(role.name, "rollout.maxUnavailable " + (max.getStrVal() != null ? "\"" + max.getStrVal()
                        + "\"" : max.getIntVal()) + ": expected an integer >= 1 or a"
                        + " percentage from 1% to 100%, like 1 or \"25%\" (0 would never let a node of the role"
                        + " change image: bare metal has no spare machine to surge onto)");
            }
        }
        return out;
    }

    /** {@link #problems} refused 0 and malformed values; a percentage is normalised as Git's loader does ("007%": "7%"). */
    private static RolloutPolicy rollout(dev.plinth.kubernetes.crd.CloudSpec.Rollout r) {
        if (r == null) {
            return RolloutPolicy.DEFAULT;
        }
        String max = r.maxUnavailable == null ? RolloutPolicy.DEFAULT.maxUnavailable()
                : r.maxUnavailable.getStrVal() != null
                        ? (PERCENT.matcher(r.maxUnavailable.getStrVal()).matches()
                                ? Integer.parseInt(r.maxUnavailable.getStrVal().replace("%", "")) + "%"
                                : RolloutPolicy.DEFAULT.maxUnavailable()) // not planned: see problems
                        : String.valueOf(r.maxUnavailable.getIntVal());
        return new RolloutPolicy(max, Objects.requireNonNullElse(r.pauseSeconds, 0), r.partitionLabel,
                Objects.requireNonNullElse(r.maxFailures, 0));
    }

    private static ObjectMeta meta(HasMetadata r, String name) {
        return new ObjectMeta(r.getMetadata().getNamespace(), name, r.getMetadata().getLabels());
    }
}

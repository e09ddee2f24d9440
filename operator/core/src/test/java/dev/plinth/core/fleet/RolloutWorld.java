package dev.plinth.core.fleet;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.BareMetalNodeSpec;
import dev.plinth.api.BmcSpec;
import dev.plinth.api.CloudRole;
import dev.plinth.api.DiskImage;
import dev.plinth.api.HealthCheck;
import dev.plinth.api.LabelSelector;
import dev.plinth.api.ObjectMeta;
import dev.plinth.api.ResourceRef;
import dev.plinth.api.RolloutPolicy;
import dev.plinth.api.RootDeviceHints;
import dev.plinth.core.ImageRef;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.core.Resources;
import dev.plinth.core.Step;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.PowerState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One role, its nodes' records and probes, and the planner's state, stepped by hand: the planner tests' world. */
final class RolloutWorld {
    static final DiskImage V1 = Resources.image("os-v1", 'a');
    static final DiskImage V2 = Resources.image("os-v2", 'b');
    static final DiskImage V3 = Resources.image("os-v3", 'c');

    final List<BareMetalNode> nodes = new ArrayList<>();
    final Map<String, NodeRecord> records = new HashMap<>();
    final Map<String, ProbeResult> probes = new HashMap<>();
    final Map<dev.plinth.core.ImageRef, String> held = new HashMap<>();
    CloudRole role;
    DiskImage image = V1;
    String revision = "r1";
    RolloutState state;
    Instant now = Instant.parse("2026-11-25T10:00:00Z");
    RolloutPlanner.Decision last;

    RolloutWorld(int count, RolloutPolicy policy) {
        this(count, policy, HealthCheck.DEFAULT);
    }

    RolloutWorld(int count, RolloutPolicy policy, HealthCheck check) {
        role = new CloudRole("compute", count, new LabelSelector(Map.of("role", "compute")), new ResourceRef("x"),
                policy, check);
    }

    static BareMetalNode node(String name, Map<String, String> labels) {
        Map<String, String> all = new LinkedHashMap<>(labels);
        all.put("role", "compute");
        var spec = new BareMetalNodeSpec(BmcSpec.of("ipmi://10.0.0.1:623", "bmc", false), "52:54:00:00:00:01", true,
                null, RootDeviceHints.NONE);
        return new BareMetalNode(new ObjectMeta(name, all), spec);
    }

    RolloutWorld nodes(int n) {
        for (int i = 0; i < n; i++) {
            nodes.add(node(String.format("n%02d", i), Map.of()));
        }
        return this;
    }

    /** Every node settled on {@code image}, and the role's state stable on it. */
    RolloutWorld stableOn(DiskImage stable) {
        nodes.forEach(n -> settle(n.name(), stable));
        image = stable;
        step();
        for (int i = 0; state.phase() != RolloutState.Phase.STABLE; i++) {
            if (i > 20) {
                throw new AssertionError("not stable after 20 steps: " + state + " " + last.waiting());
            }
            converge();
            step();
        }
        return this;
    }

    static NodeRecord settled(String name, DiskImage image) {
        return new NodeRecord.Builder(name).state(ProvisioningState.PROVISIONED).image(ImageRef.of(image))
                .powerState(PowerState.ON).bootDevice(BootDevice.DISK).build();
    }

    void settle(String name, DiskImage img) {
        records.put(name, settled(name, img));
    }

    /** The deploy of the image {@code name} was last told (V1 before any plan) failed. */
    void fail(String name) {
        DiskImage told = last == null || last.images().get(name) == null ? V1 : last.images().get(name);
        records.put(name, new NodeRecord.Builder(name).state(ProvisioningState.ERROR).targetImage(ImageRef.of(told))
                .errorKind(
                FailureKind.DEPLOY_FAILED).errorMessage("checksum mismatch").failedOperation(
                        ProvisioningState.PROVISIONING).errorCount(1).build());
    }

    void busy(String name, DiskImage target) {
        records.put(name, new NodeRecord.Builder(name).state(ProvisioningState.PROVISIONING).step(Step.WRITE_IMAGE)
                .targetImage(ImageRef.of(target)).build());
    }

    void commit(String rev, DiskImage img) {
        revision = rev;
        image = img;
    }

    RolloutPlanner.Decision step() {
        last = RolloutPlanner.plan(new RolloutPlanner.Input("c/compute", role, revision, image, nodes, records, probes,
                held, state, now));
        state = last.next();
        return last;
    }

    /** Every node told an image it does not run yet deploys it (and checks in). */
    void converge() {
        for (BareMetalNode n : nodes) {
            DiskImage told = last.images().get(n.name());
            NodeRecord r = records.get(n.name());
            if (told != null && (r == null || !ImageRef.of(told).equals(r.image())
                    || r.state() != ProvisioningState.PROVISIONED)) {
                settle(n.name(), told);
            }
        }
    }

    /** Nodes running {@code img}, by the records. */
    long running(DiskImage img) {
        return records.values().stream().filter(r -> r.state() == ProvisioningState.PROVISIONED
                && ImageRef.of(img).equals(r.image())).count();
    }

    List<String> admittedNow() {
        return new ArrayList<>(state.admitted().keySet());
    }
}

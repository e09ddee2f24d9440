package dev.plinth.core.fleet;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.Cloud;
import dev.plinth.api.CloudRole;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.core.ImageRef;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.PowerState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The batches a change of revision would roll each role in, for {@code plinth diff}: the {@link RolloutPlanner}
 * itself, run against a simulated fleet in which every member runs the current role image and passes every gate
 * at once. Pure. The live plan, with real health, is in the status API.
 */
public final class RolloutPreview {
    private RolloutPreview() {}

    /** One role whose image changes: from and to, and the batches in order (the first is the canary). */
    public record RoleRollout(String role, String from, String to, String maxUnavailable,
            List<List<String>> batches) {}

    public static List<RoleRollout> between(DesiredState current, DesiredState next) {
        Instant now = Instant.EPOCH;
        Map<String, NodeRecord> records = new HashMap<>();
        // the current fleet, settled: every current role member on its role's image, its rollout stable
        FleetPlanner.FleetPlan before = FleetPlanner.plan(current, records, Map.of(), Map.of(), now);
        for (int i = 0; i < 3; i++) {
            settle(current, before, records);
            before = FleetPlanner.plan(current, records, probes(current, now), before.states(), now);
        }
        Map<String, List<List<String>>> batches = new LinkedHashMap<>();
        Map<String, RolloutState> states = before.states();
        for (int step = 0; step < 10_000; step++) {
            now = now.plusSeconds(3600); // past any pause
            FleetPlanner.FleetPlan p = FleetPlanner.plan(next, records, probes(next, now), states, now);
            boolean moving = false;
            for (Map.Entry<String, RolloutState> e : p.states().entrySet()) {
                RolloutState prev = states.get(e.getKey());
                List<String> admitted = new ArrayList<>(e.getValue().admitted().keySet());
                if (prev != null && Objects.equals(prev.targetKey(), e.getValue().targetKey())) {
                    admitted.removeAll(prev.admitted().keySet());
                }
                if (!admitted.isEmpty()) {
                    batches.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(admitted);
                }
                moving |= e.getValue().phase() != RolloutState.Phase.STABLE;
            }
            settle(next, p, records);
            states = p.states();
            if (!moving) {
                break;
            }
        }
        List<RoleRollout> out = new ArrayList<>();
        for (Cloud cloud : next.clouds().values()) {
            for (CloudRole role : cloud.spec().roles()) {
                String key = cloud.name() + "/" + role.name();
                DiskImage to = next.images().get(role.image().name());
                RolloutState was = before.states().get(key);
                DiskImage from = was == null ? null : was.stableImage();
                boolean changes = from == null || to == null || !ImageRef.of(from).equals(ImageRef.of(to));
                List<List<String>> b = batches.getOrDefault(key, List.of());
                if (changes && !b.isEmpty()) {
                    out.add(new RoleRollout(key, from == null ? null : from.name(), to == null ? null : to.name(),
                            RolloutPlanner.policyOf(role).maxUnavailable(), b));
                }
            }
        }
        return out;
    }

    /** Every node the plan gives an image runs it, settled and checked in. */
    private static void settle(DesiredState d, FleetPlanner.FleetPlan p, Map<String, NodeRecord> records) {
        p.images().forEach((n, i) -> {
            BareMetalNode node = d.nodes().get(n);
            boolean online = node == null || node.spec().online();
            records.put(n, new NodeRecord.Builder(n).state(ProvisioningState.PROVISIONED).image(ImageRef.of(i))
                    .powerState(online ? PowerState.ON : PowerState.OFF).bootDevice(BootDevice.DISK).build());
        });
    }

    /** Every probe answers. */
    private static Map<String, ProbeResult> probes(DesiredState d, Instant now) {
        Map<String, ProbeResult> out = new HashMap<>();
        d.nodes().keySet().forEach(n -> out.put(n, new ProbeResult(true, "ok", now)));
        return out;
    }
}

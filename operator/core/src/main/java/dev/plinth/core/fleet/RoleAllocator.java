package dev.plinth.core.fleet;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.CloudRole;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which nodes are a role's members: {@code count} of the nodes its selector matches. Pure and stable: a member that
 * still matches stays a member (a healthy member is never reshuffled, and neither is a failed one: replacing a
 * node that fails under a bad image would spread the image, the rollout's rollback handles it instead); only
 * missing places are filled, from matching nodes not in ERROR first, spread over the role's failure-domain label,
 * then by name. The same inputs always give the same members, so a shortfall is reported, never flapped.
 */
public final class RoleAllocator {
    private RoleAllocator() {}

    /**
     * @param members the role's members, in name order
     * @param shortfall places left empty; 0 when the role is full
     * @param message why the role is short, null when it is not
     */
    public record Allocation(List<String> members, int shortfall, String message) {
        public Allocation {
            members = List.copyOf(members);
        }
    }

    /**
     * @param candidates nodes the role selects that may join it (in Git, selected by this role only, no own image)
     * @param previous the role's members last time (empty for a new role)
     * @param records actual state by node name; a node without a record is a candidate like any other
     */
    public static Allocation allocate(CloudRole role, List<BareMetalNode> candidates, List<String> previous,
            Map<String, NodeRecord> records) {
        Map<String, BareMetalNode> byName = new HashMap<>();
        candidates.forEach(n -> byName.put(n.name(), n));
        String label = role.failureDomainLabel();
        Set<String> members = new LinkedHashSet<>();
        for (String m : previous) {
            if (byName.containsKey(m)) {
                members.add(m);
            }
        }
        // a lowered count gives nodes back: the last by name of the most crowded domain first, failed ones first
        while (members.size() > role.count()) {
            Map<String, Integer> load = load(members, byName, label);
            String drop = members.stream().max(Comparator
                    .comparing((String m) -> failed(records.get(m)))
                    .thenComparing(m -> load.get(domain(byName.get(m), label)))
                    .thenComparing(Comparator.naturalOrder())).orElseThrow();
            members.remove(drop);
        }
        List<BareMetalNode> free = new ArrayList<>(candidates.stream().filter(n -> !members.contains(n.name()))
                .sorted(Comparator.comparing(BareMetalNode::name)).toList());
        while (members.size() < role.count() && !free.isEmpty()) {
            Map<String, Integer> load = load(members, byName, label);
            BareMetalNode pick = free.stream().min(Comparator
                    .comparing((BareMetalNode n) -> failed(records.get(n.name())))
                    .thenComparing(n -> load.getOrDefault(domain(n, label), 0))
                    .thenComparing(BareMetalNode::name)).orElseThrow();
            free.remove(pick);
            members.add(pick.name());
        }
        List<String> sorted = members.stream().sorted().toList();
        int shortfall = role.count() - sorted.size();
        String message = shortfall <= 0 ? null : "wants " + role.count() + " node(s), " + candidates.size()
                + " match " + (role.nodeSelector() == null ? "(no nodeSelector)"
                        : "nodeSelector " + role.nodeSelector().matchLabels()) + ": " + shortfall + " short";
        return new Allocation(sorted, Math.max(0, shortfall), message);
    }

    private static boolean failed(NodeRecord r) {
        return r != null && r.state() == ProvisioningState.ERROR;
    }

    private static String domain(BareMetalNode n, String label) {
        return label == null ? "" : n.metadata().labels().getOrDefault(label, "");
    }

    private static Map<String, Integer> load(Set<String> members, Map<String, BareMetalNode> byName, String label) {
        Map<String, Integer> load = new HashMap<>();
        members.forEach(m -> load.merge(domain(byName.get(m), label), 1, Integer::sum));
        return load;
    }
}

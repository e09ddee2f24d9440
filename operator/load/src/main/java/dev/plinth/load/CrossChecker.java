package dev.plinth.load;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.BmcAddress;
import dev.plinth.api.Cloud;
import dev.plinth.api.CloudRole;
import dev.plinth.api.DiskImage;
import dev.plinth.core.fleet.RoleResolver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Rules that span documents: one namespace per revision, unique names per kind, unique boot MACs and BMC addresses across nodes, image
 * references that resolve, and no node selected by two roles. One hash map per rule keeps this linear in the number
 * of documents (the role rule: in nodes times roles). {@link Neighbours} (operator mode) count for image references,
 * boot MACs and BMCs; role selectors are checked within the revision only.
 */
final class CrossChecker {
    private CrossChecker() {}

    static void check(List<Parsed> parsed, Neighbours neighbours) {
        oneNamespace(parsed);
        overlappingRoles(parsed);
        Map<String, Map<String, Parsed>> namesByKind = new HashMap<>();
        Map<String, Parsed> macs = new HashMap<>();
        Map<String, Parsed> bmcs = new HashMap<>();
        for (Parsed p : parsed) {
            uniqueName(namesByKind.computeIfAbsent(p.resource().kind(), k -> new HashMap<>()), p);
            if (p.resource() instanceof BareMetalNode node && node.spec() != null) {
                uniqueMac(macs, p, node, neighbours);
                uniqueBmc(bmcs, p, node, neighbours);
            }
        }
        Set<String> images = new HashSet<>(namesByKind.getOrDefault(DiskImage.KIND, Map.of()).keySet());
        images.addAll(neighbours.images());
        String scope = neighbours == Neighbours.NONE ? "in this revision"
                : "in this revision or " + neighbours.where();
        for (Parsed p : parsed) {
            for (Doc.Reference ref : p.doc().references()) {
                if (!images.contains(ref.name())) {
                    p.doc().problem(ref.line(), ref.path(), "unknown DiskImage " + Fields.quote(ref.name())
                            + ": expected the name of a DiskImage " + scope
                            + Suggestions.didYouMean(ref.name(), images).replace(": did", "; did"));
                }
            }
        }
    }

    /** A role as written: its document and its index in {@code spec.roles}. */
    private record RoleAt(Parsed cloud, int index, CloudRole role) {
        String path() {
            return "spec.roles[" + index + "].nodeSelector";
        }

        String describe() {
            return "role " + Fields.quote(role.name()) + " of cloud " + Fields.quote(cloud.resource().name());
        }
    }

    /**
     * A node selected by two roles belongs to neither ({@link RoleResolver}): refuse the revision, once per pair of
     * roles, at the later role's selector, naming the earlier one and a node both select.
     */
    private static void overlappingRoles(List<Parsed> parsed) {
        List<RoleAt> roles = new ArrayList<>();
        for (Parsed p : parsed) {
            if (p.resource() instanceof Cloud cloud && cloud.spec() != null && cloud.metadata() != null) {
                for (int i = 0; i < cloud.spec().roles().size(); i++) {
                    roles.add(new RoleAt(p, i, cloud.spec().roles().get(i)));
                }
            }
        }
        if (roles.size() < 2) return;
        // keyed by the indices in `roles` of the two roles, earlier first
        Map<List<Integer>, List<String>> overlaps = new LinkedHashMap<>();
        for (Parsed p : parsed) {
            if (!(p.resource() instanceof BareMetalNode node) || node.metadata() == null) continue;
            List<Integer> selecting = new ArrayList<>(1);
            for (int r = 0; r < roles.size(); r++) {
                if (RoleResolver.selects(roles.get(r).role(), node.metadata().labels())) {
                    selecting.add(r);
                }
            }
            for (int i = 1; i < selecting.size(); i++) {
                for (int j = 0; j < i; j++) {
                    overlaps.computeIfAbsent(List.of(selecting.get(j), selecting.get(i)), k -> new ArrayList<>())
                            .add(node.name());
                }
            }
        }
        overlaps.forEach((pair, nodes) -> {
            RoleAt first = roles.get(pair.get(0));
            RoleAt later = roles.get(pair.get(1));
            String more = nodes.size() > 1 ? " (and " + (nodes.size() - 1) + " more)" : "";
            later.cloud().doc().problem(later.cloud().doc().lineOf(later.path()), later.path(),
                    later.describe() + " selects node " + Fields.quote(nodes.get(0)) + more + " that "
                            + first.describe() + " at " + first.cloud().doc().where(first.path())
                            + " selects too: expected each node to be selected by at most one role");
        });
    }

    /**
     * Standalone mode keeps one fleet per revision, with names unique per kind, so every document that names a
     * namespace must name the same one (documents naming none are in it too). The operator has no such rule: there
     * the namespace is part of each object's identity.
     */
    private static void oneNamespace(List<Parsed> parsed) {
        Parsed first = null;
        for (Parsed p : parsed) {
            String ns = p.resource().metadata() == null ? null : p.resource().metadata().namespace();
            if (ns == null) {
                continue;
            }
            if (first == null) {
                first = p;
            } else if (!ns.equals(first.resource().metadata().namespace())) {
                p.doc().problem(p.doc().lineOf("metadata.namespace"), "metadata.namespace", "namespace "
                        + Fields.quote(ns) + " differs from " + Fields.quote(first.resource().metadata().namespace())
                        + " at " + first.doc().where("metadata.namespace") + ": expected one namespace per revision"
                        + " in standalone mode (one repository path per namespace)");
            }
        }
    }

    private static void uniqueName(Map<String, Parsed> names, Parsed p) {
        String name = p.resource().metadata() == null ? null : p.resource().name();
        if (name == null) return;
        Parsed first = names.putIfAbsent(name, p);
        if (first != null) {
            p.doc().problem(p.doc().lineOf("metadata.name"), "metadata.name", "duplicate " + p.resource().kind()
                    + " name " + Fields.quote(name) + ": already defined at " + first.doc().where("metadata.name")
                    + "; expected names unique per kind");
        }
    }

    private static void uniqueMac(Map<String, Parsed> macs, Parsed p, BareMetalNode node, Neighbours neighbours) {
        String mac = node.spec().bootMACAddress();
        if (mac == null) return;
        String key = mac.toLowerCase(Locale.ROOT);
        Parsed first = macs.putIfAbsent(key, p);
        String other = first != null ? nodeAt(first, "spec.bootMACAddress")
                : neighbour(neighbours, neighbours.macs().get(key));
        if (other != null) {
            String path = "spec.bootMACAddress";
            p.doc().problem(p.doc().lineOf(path), path, "boot MAC address " + mac + " is already used by "
                    + other + ": expected every node to have its own boot MAC address");
        }
    }

    private static void uniqueBmc(Map<String, Parsed> bmcs, Parsed p, BareMetalNode node, Neighbours neighbours) {
        if (node.spec().bmc() == null || node.spec().bmc().address() == null) return;
        BmcAddress address = node.spec().bmc().address();
        Parsed first = bmcs.putIfAbsent(address.key(), p);
        String other = first != null ? nodeAt(first, "spec.bmc.address")
                : neighbour(neighbours, neighbours.bmcs().get(address.key()));
        if (other != null) {
            String path = "spec.bmc.address";
            p.doc().problem(p.doc().lineOf(path), path, "BMC address " + Fields.quote(address.text())
                    + " reaches the same controller (" + address.key() + ") as " + other
                    + ": expected every node to have its own BMC");
        }
    }

    /** A node the revision lives beside, named so the user can find it; null for none. */
    private static String neighbour(Neighbours neighbours, String name) {
        return name == null ? null : "node " + Fields.quote(name) + " in " + neighbours.where()
                + " (not declared by this revision)";
    }

    private static String nodeAt(Parsed p, String path) {
        String name = p.resource().metadata() == null ? null : p.resource().name();
        String who = name == null ? "another node" : "node " + Fields.quote(name);
        return who + " at " + p.doc().where(path);
    }
}

package dev.plinth.load;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.BmcAddress;
import dev.plinth.api.DiskImage;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Rules that span documents: unique names per kind, unique boot MACs and BMC addresses across nodes, and image
 * references that resolve. One hash map per rule keeps this linear in the number of documents.
 */
final class CrossChecker {
    private CrossChecker() {}

    static void check(List<Parsed> parsed) {
        Map<String, Map<String, Parsed>> namesByKind = new HashMap<>();
        Map<String, Parsed> macs = new HashMap<>();
        Map<String, Parsed> bmcs = new HashMap<>();
        for (Parsed p : parsed) {
            uniqueName(namesByKind.computeIfAbsent(p.resource().kind(), k -> new HashMap<>()), p);
            if (p.resource() instanceof BareMetalNode node && node.spec() != null) {
                uniqueMac(macs, p, node);
                uniqueBmc(bmcs, p, node);
            }
        }
        Map<String, Parsed> images = namesByKind.getOrDefault(DiskImage.KIND, Map.of());
        for (Parsed p : parsed) {
            for (Doc.Reference ref : p.doc().references()) {
                if (!images.containsKey(ref.name())) {
                    p.doc().problem(ref.line(), ref.path(), "unknown DiskImage " + Fields.quote(ref.name())
                            + ": expected the name of a DiskImage in this revision"
                            + Suggestions.didYouMean(ref.name(), images.keySet()).replace(": did", "; did"));
                }
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

    private static void uniqueMac(Map<String, Parsed> macs, Parsed p, BareMetalNode node) {
        String mac = node.spec().bootMACAddress();
        if (mac == null) return;
        Parsed first = macs.putIfAbsent(mac.toLowerCase(Locale.ROOT), p);
        if (first != null) {
            String path = "spec.bootMACAddress";
            p.doc().problem(p.doc().lineOf(path), path, "boot MAC address " + mac + " is already used by "
                    + nodeAt(first, path) + ": expected every node to have its own boot MAC address");
        }
    }

    private static void uniqueBmc(Map<String, Parsed> bmcs, Parsed p, BareMetalNode node) {
        if (node.spec().bmc() == null || node.spec().bmc().address() == null) return;
        BmcAddress address = node.spec().bmc().address();
        Parsed first = bmcs.putIfAbsent(address.key(), p);
        if (first != null) {
            String path = "spec.bmc.address";
            p.doc().problem(p.doc().lineOf(path), path, "BMC address " + Fields.quote(address.text())
                    + " reaches the same controller (" + address.key() + ") as " + nodeAt(first, path)
                    + ": expected every node to have its own BMC");
        }
    }

    private static String nodeAt(Parsed p, String path) {
        String name = p.resource().metadata() == null ? null : p.resource().name();
        String who = name == null ? "another node" : "node " + Fields.quote(name);
        return who + " at " + p.doc().where(path);
    }
}

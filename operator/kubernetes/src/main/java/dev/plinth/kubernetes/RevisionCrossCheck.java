package dev.plinth.kubernetes;

import dev.plinth.driver.BmcSupport;
import dev.plinth.driver.bmc.BmcPowerDrivers;
import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.DiskImageResource;
import dev.plinth.load.DesiredStateLoader;
import dev.plinth.load.Neighbours;
import dev.plinth.load.SourceFile;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The rules that span a GitSource revision's documents, by standalone's loader (no second copy of them): unique boot
 * MACs and BMCs, DiskImage references that resolve, roles that do not overlap. Each document's own schema is the API
 * server's business (the dry run), so the loader's per-document problems are not used.
 *
 * <p>The revision is checked with the rest of its namespace: a boot MAC or BMC of a node applied by hand (or by
 * another GitSource) is taken, naming that node, and a DiskImage there may be referenced. The GitSource's own objects
 * are not neighbours: the revision replaces or prunes them. Role selectors are checked within the revision only (a
 * Cloud outside it that selects the same node stalls that node, as for objects applied by kubectl). Pure: no I/O.
 */
final class RevisionCrossCheck {
    // the fake driver simulates the same address families by the same rules (Standalone.bmcSupport)
    private static final DesiredStateLoader LOADER = new DesiredStateLoader(new BmcSupport(BmcPowerDrivers.rules()));

    private RevisionCrossCheck() {}

    /**
     * @param files    the revision's files, path to text
     * @param declared the revision's objects, as {@code Kind/name}
     * @param nodes    the namespace's BareMetalNodes; {@code images} its DiskImages
     * @return each problem as {@code file:line: path: message}; empty when there is none
     */
    static List<String> problems(Map<String, String> files, Set<String> declared, String namespace, String owner,
            List<BareMetalNodeResource> nodes, List<DiskImageResource> images) {
        Neighbours.Builder neighbours = Neighbours.in("namespace \"" + namespace + "\"");
        for (DiskImageResource image : images) {
            if (isNeighbour(image, declared, owner)) {
                neighbours.image(image.getMetadata().getName());
            }
        }
        for (BareMetalNodeResource node : nodes) {
            if (isNeighbour(node, declared, owner) && node.getSpec() != null) {
                neighbours.node(node.getMetadata().getName(), node.getSpec().bootMACAddress,
                        node.getSpec().bmc == null ? null : node.getSpec().bmc.address);
            }
        }
        List<SourceFile> sources = files.entrySet().stream().map(f -> new SourceFile(f.getKey(), f.getValue()))
                .toList();
        return LOADER.crossDocumentProblems(sources, neighbours.build()).stream().map(Object::toString).toList();
    }

    private static boolean isNeighbour(HasMetadata o, Set<String> declared, String owner) {
        Map<String, String> labels = Objects.requireNonNullElse(o.getMetadata().getLabels(), Map.of());
        return !owner.equals(labels.get(GitSourceReconciler.OWNER_LABEL))
                && !declared.contains(o.getKind() + "/" + o.getMetadata().getName());
    }
}

package dev.plinth.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link DesiredStateLoader#crossDocumentProblems}, the operator's use of the loader: only the rules between
 * documents, counting the objects the revision lives beside; a document's own problems are the API server's.
 */
class CrossDocumentProblemsTest {
    private final DesiredStateLoader loader = new DesiredStateLoader(BmcSupports.forDriver("fake"));

    private static String node(String name, String mac, String bmc, String image) {
        return """
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: %s, annotations: {note: "unknown to the loader, fine for the API server"}}
                spec:
                  bmc: {address: "%s", credentialsName: bmc}
                  bootMACAddress: "%s"
                  image: {name: %s}
                """.formatted(name, bmc, mac, image);
    }

    @Test
    void documentsOwnProblemsAreNotReturned() {
        List<SourceFile> files = List.of(new SourceFile("n.yaml", node("a", "52:54:00:00:00:01", "ipmi://10.0.0.1",
                "by-hand")));
        assertThat(loader.load("r", files).problems()).extracting(Object::toString)
                .anySatisfy(p -> assertThat(p).contains("annotations"));
        Neighbours namespace = Neighbours.in("namespace \"lab\"").image("by-hand").build();
        assertThat(loader.crossDocumentProblems(files, namespace)).isEmpty();
    }

    @Test
    void neighboursCountForMacsBmcsAndImages() {
        Neighbours namespace = Neighbours.in("namespace \"lab\"").image("centos")
                .node("old", "52:54:00:00:00:01", "ipmi://10.0.0.9:623").build();
        List<SourceFile> files = List.of(new SourceFile("n.yaml", node("a", "52:54:00:00:00:01", "ipmi://10.0.0.9",
                "centos") + "---\n" + node("b", "52:54:00:00:00:02", "ipmi://10.0.0.2", "rhel")));
        assertThat(loader.crossDocumentProblems(files, namespace)).extracting(Object::toString).containsExactly(
                "n.yaml:5: spec.bmc.address: BMC address \"ipmi://10.0.0.9\" reaches the same controller"
                        + " (ipmi://10.0.0.9:623) as node \"old\" in namespace \"lab\" (not declared by this revision):"
                        + " expected every node to have its own BMC",
                "n.yaml:6: spec.bootMACAddress: boot MAC address 52:54:00:00:00:01 is already used by node \"old\" in"
                        + " namespace \"lab\" (not declared by this revision): expected every node to have its own"
                        + " boot MAC address",
                "n.yaml:15: spec.image.name: unknown DiskImage \"rhel\": expected the name of a DiskImage in this"
                        + " revision or namespace \"lab\"");
        // standalone has no neighbours: the same revision's image reference is unknown there too
        assertThat(loader.crossDocumentProblems(files, Neighbours.NONE)).extracting(Object::toString)
                .anySatisfy(p -> assertThat(p).startsWith("n.yaml:7: spec.image.name: unknown DiskImage \"centos\"")
                        .endsWith("expected the name of a DiskImage in this revision"));
    }
}

package dev.plinth.load;

import dev.plinth.core.Problem;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * 10,000 nodes, in one file and spread over many: the cross-document rules must still hold at that size.
 * Deliberately untimed (timings flake on shared CI); a quadratic loader shows up as a visibly slow test.
 */
class LoaderScaleTest {
    private static final int NODES = 10_000;
    private static final SourceFile IMAGE = new SourceFile("images.yaml", """
            apiVersion: plinth.dev/v1alpha1
            kind: DiskImage
            metadata: {name: centos-9}
            spec:
              url: http://images.example/centos-9.raw
              checksum: sha256:%s
            """.formatted("a".repeat(64)));

    private static String node(int i, int macAndBmc) {
        int a = macAndBmc >> 8 & 255, b = macAndBmc & 255;
        return """
                ---
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: node-%d, labels: {role: compute}}
                spec:
                  bmc: {address: "ipmi://10.1.%d.%d", credentialsName: bmc-%d}
                  bootMACAddress: "52:54:00:01:%02x:%02x"
                  image: {name: centos-9}
                """.formatted(i, a, b, i, a, b);
    }

    @Test
    void loadsTenThousandNodesFromOneFile() {
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < NODES; i++) all.append(node(i, i));

        LoadResult result = new DesiredStateLoader(BmcSupports.forDriver("ipmi")).load("r", List.of(IMAGE, new SourceFile("nodes.yaml",
                all.toString())));

        assertThat(result.problems()).isEmpty();
        assertThat(result.state().nodes()).hasSize(NODES);
    }

    @Test
    void findsTheOneClashAmongTenThousandNodesInManyFiles() {
        List<SourceFile> files = new ArrayList<>(List.of(IMAGE));
        StringBuilder chunk = new StringBuilder();
        for (int i = 0; i < NODES; i++) {
            // The last node reuses node 0's MAC and BMC.
            chunk.append(node(i, i == NODES - 1 ? 0 : i));
            if (i % 100 == 99) {
                files.add(new SourceFile("nodes/%05d.yaml".formatted(i), chunk.toString()));
                chunk.setLength(0);
            }
        }

        LoadResult result = new DesiredStateLoader(BmcSupports.forDriver("ipmi")).load("r", files);

        assertThat(result.problems()).extracting(Problem::path)
                .containsExactly("spec.bmc.address", "spec.bootMACAddress");
        assertThat(result.problems()).allSatisfy(p -> {
            assertThat(p.file()).isEqualTo("nodes/09999.yaml");
            assertThat(p.message()).contains("node \"node-0\" at nodes/00099.yaml:");
        });
    }
}

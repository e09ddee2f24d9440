package dev.plinth.kubernetes.crd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The committed crds/ must be exactly what the classes generate: a field added to a class without regenerating
 * fails the build here, before a cluster ever sees the stale schema.
 */
class CrdDriftTest {

    @Test
    void committedCrdsMatchTheClasses() throws IOException {
        assertMatches(CrdFiles.committedDir());
    }

    @Test
    void theHelmChartCarriesTheSameCrds() throws IOException {
        assertMatches(CrdFiles.repoRoot().resolve("helm/plinth/crds"));
    }

    private static void assertMatches(Path dir) throws IOException {
        Map<String, String> expected = CrdFiles.expected();
        if (Boolean.getBoolean("plinth.crds.update")) {
            for (var e : expected.entrySet()) {
                Files.writeString(dir.resolve(e.getKey()), e.getValue());
            }
        }
        Map<String, String> committed = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".yaml"))::iterator) {
                committed.put(f.getFileName().toString(), Files.readString(f));
            }
        }
        assertThat(committed)
                .as(dir + " differs from the CRDs generated from dev.plinth.kubernetes.crd: regenerate with "
                        + "mvn -pl operator/kubernetes -am test -Dtest=CrdDriftTest -Dplinth.crds.update=true")
                .isEqualTo(new TreeMap<>(expected));
    }

    @Test
    void printerColumnsComeInTheOrderTheClassDeclares() {
        var columns = CrdFiles.generated(BareMetalNodeResource.class).getSpec().getVersions().get(0)
                .getAdditionalPrinterColumns();
        assertThat(columns).extracting(c -> c.getName())
                .containsExactly("State", "Power", "Image", "Revision", "Age");
    }

    @Test
    void statusCarriesObservedGenerationAndConditionsSoKstatusCanReadThem() {
        for (var type : CrdFiles.RESOURCES) {
            var version = CrdFiles.generated(type).getSpec().getVersions().get(0);
            var status = version.getSchema().getOpenAPIV3Schema().getProperties().get("status");
            assertThat(status.getProperties()).as(type.getSimpleName())
                    .containsKeys("observedGeneration", "conditions");
            assertThat(version.getSubresources().getStatus()).as(type.getSimpleName()).isNotNull();
        }
    }
}

package dev.plinth.kubernetes.crd;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CRDs as committed in {@code crds/}: fabric8's generator output (target/classes/META-INF/fabric8), with the
 * printer columns in the order the class declares them (the generator sorts them by name, which would put Age
 * first in {@code kubectl get}).
 */
public final class CrdFiles {
    public static final List<Class<? extends CustomResource<?, ?>>> RESOURCES = List.of(
            BareMetalNodeResource.class, DiskImageResource.class, CloudResource.class, GitSourceResource.class);

    private CrdFiles() {}

    public static Path repoRoot() {
        return Path.of(System.getProperty("plinth.repo.root", "../..")).toAbsolutePath().normalize();
    }

    public static Path committedDir() {
        return repoRoot().resolve("crds");
    }

    /** File name in crds/ of a resource's CRD: {@code <plural>.<group>.yaml}. */
    public static String fileName(Class<? extends CustomResource<?, ?>> type) {
        return CustomResource.getCRDName(type) + ".yaml";
    }

    /** What crds/ must hold, file name to text, from the generator's output of this build. */
    public static Map<String, String> expected() {
        Map<String, String> files = new LinkedHashMap<>();
        for (var type : RESOURCES) {
            files.put(fileName(type), render(generated(type), type));
        }
        return files;
    }

    /** The generated CRD, parsed; the drift test and the API server tests both use it. */
    public static CustomResourceDefinition generated(Class<? extends CustomResource<?, ?>> type) {
        Path file = Path.of("target/classes/META-INF/fabric8", CustomResource.getCRDName(type) + "-v1.yml");
        try {
            CustomResourceDefinition crd = Serialization.unmarshal(Files.readString(file),
                    CustomResourceDefinition.class);
            List<String> order = new ArrayList<>();
            for (AdditionalPrinterColumn c : type.getAnnotationsByType(AdditionalPrinterColumn.class)) {
                order.add(c.name());
            }
            for (var version : crd.getSpec().getVersions()) {
                List<CustomResourceColumnDefinition> columns = version.getAdditionalPrinterColumns();
                if (columns != null) {
                    columns.sort(Comparator.comparingInt(c -> order.indexOf(c.getName())));
                }
            }
            return crd;
        } catch (IOException e) {
            throw new UncheckedIOException("no generated CRD (the crd-generator plugin runs in process-classes): "
                    + file.toAbsolutePath(), e);
        }
    }

    /** The committed CRD, parsed. */
    public static CustomResourceDefinition committed(Class<? extends CustomResource<?, ?>> type) {
        try {
            return Serialization.unmarshal(Files.readString(committedDir().resolve(fileName(type))),
                    CustomResourceDefinition.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String render(CustomResourceDefinition crd, Class<?> type) {
        return "# Generated from " + type.getName() + " by fabric8's crd-generator (operator/kubernetes);\n"
                + "# do not edit: change the class and run CrdDriftTest with -Dplinth.crds.update=true.\n"
                + Serialization.asYaml(crd);
    }
}

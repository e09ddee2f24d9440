package dev.plinth.load;

import dev.plinth.api.ObjectMeta;
import dev.plinth.api.ResourceRef;
import java.util.List;

/** The parts shared by every kind: {@code metadata} and by-name references to other resources. */
final class MetadataReader {
    private MetadataReader() {}

    static final List<String> FIELDS = List.of("namespace", "name", "labels");
    static final String EXPECTED = "a mapping with a name, an optional namespace and optional labels, like"
            + " {name: compute-0}";
    static final String REF_EXPECTED = "a reference like {name: centos-9}";

    static ObjectMeta read(Fields meta) {
        String namespace = meta.string("namespace", false, Formats.NAMESPACE, Formats::namespace);
        String name = meta.string("name", true, Formats.NAME, Formats::name);
        var labels = meta.stringMap("labels", "a map of string labels like {role: compute}");
        return new ObjectMeta(namespace, name, labels);
    }

    /** Reads {@code {name: x}} and registers it for the cross-document check that x exists. */
    static ResourceRef imageRef(Fields parent, String field, boolean required) {
        Fields ref = parent.mapping(field, required, List.of("name"), REF_EXPECTED);
        String name = ref.string("name", true, "the name of a DiskImage", Formats::name);
        if (name == null) {
            return null;
        }
        ref.doc().addReference(ref.path("name"), name);
        return new ResourceRef(name);
    }
}

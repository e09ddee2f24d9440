package dev.plinth.load;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.Cloud;
import dev.plinth.api.DiskImage;
import dev.plinth.api.ObjectMeta;
import dev.plinth.api.Resource;
import dev.plinth.driver.BmcSupport;
import java.util.List;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.Tag;

/** The envelope every document shares (apiVersion, kind, metadata, spec), dispatching spec to its kind's reader. */
final class DocumentReader {
    private DocumentReader() {}

    static final List<String> FIELDS = List.of("apiVersion", "kind", "metadata", "spec");
    static final List<String> KINDS = List.of(DiskImage.KIND, BareMetalNode.KIND, Cloud.KIND);
    private static final String KIND_EXPECTED = "one of " + String.join(", ", KINDS);

    /** The resource of one document, or null when its kind is unknown (reported). */
    static Parsed read(Doc doc, Node root, BmcSupport bmcs) {
        int line = Fields.line(root);
        if (!(root instanceof MappingNode m) || !m.getTag().equals(Tag.MAP)) {
            doc.problem(line, "", "document is " + Fields.describe(root)
                    + ": expected a mapping with apiVersion, kind, metadata and spec");
            return null;
        }
        Fields top = Fields.of(doc, "", line, m, FIELDS);
        top.string("apiVersion", true, "\"" + Resource.API_VERSION + "\"", v -> v.equals(Resource.API_VERSION)
                ? null
                : "unsupported apiVersion " + Fields.quote(v) + ": expected \"" + Resource.API_VERSION + "\"");
        String kind = top.string("kind", true, KIND_EXPECTED, v -> KINDS.contains(v) ? null
                : "unknown kind " + Fields.quote(v) + ": expected " + KIND_EXPECTED
                        + Suggestions.didYouMean(v, KINDS).replace(": did", "; did"));
        ObjectMeta meta = MetadataReader.read(top.mapping("metadata", true, MetadataReader.FIELDS,
                MetadataReader.EXPECTED));
        if (kind == null) {
            return null; // spec cannot be checked without knowing its schema
        }
        String specExpected = "a mapping with the " + kind + " fields";
        Resource resource = switch (kind) {
            case DiskImage.KIND -> new DiskImage(meta, DiskImageReader.read(
                    top.mapping("spec", true, DiskImageReader.FIELDS, specExpected)));
            case BareMetalNode.KIND -> new BareMetalNode(meta, BareMetalNodeReader.read(
                    top.mapping("spec", true, BareMetalNodeReader.FIELDS, specExpected), bmcs));
            case Cloud.KIND -> new Cloud(meta, CloudReader.read(
                    top.mapping("spec", true, CloudReader.FIELDS, specExpected)));
            default -> throw new IllegalStateException(kind);
        };
        return new Parsed(resource, doc);
    }
}

package dev.plinth.kubernetes;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The documents of one Git revision, each with its file and line, ready to apply in one namespace; or the
 * problems that reject the revision whole. Pure: no I/O.
 */
public final class RevisionDocuments {
    public static final Set<String> KINDS = Set.of("BareMetalNode", "DiskImage", "Cloud");

    /** One document: where it starts, and the object it declares. */
    public record Doc(String file, int line, GenericKubernetesResource object) {
        public String where() {
            return file + ":" + line;
        }

        public String id() {
            return object.getKind() + "/" + object.getMetadata().getName();
        }
    }

    public record Result(List<Doc> docs, List<String> problems) {}

    private RevisionDocuments() {}

    /** @param files path to text, in path order */
    public static Result parse(Map<String, String> files, String namespace) {
        List<Doc> docs = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (var f : files.entrySet()) {
            String[] lines = f.getValue().split("\n", -1);
            int start = 0;
            for (int i = 0; i <= lines.length; i++) {
                if (i == lines.length || lines[i].stripTrailing().equals("---")) {
                    document(f.getKey(), lines, start, i, namespace, docs, problems, seen);
                    start = i + 1;
                }
            }
        }
        return new Result(docs, problems);
    }

    private static void document(String file, String[] lines, int from, int to, String namespace, List<Doc> docs,
            List<String> problems, Set<String> seen) {
        int first = -1;
        StringBuilder text = new StringBuilder();
        for (int i = from; i < to; i++) {
            String l = lines[i];
            if (first < 0 && !l.isBlank() && !l.stripLeading().startsWith("#")) {
                first = i;
            }
            text.append(l).append('\n');
        }
        if (first < 0) {
            return; // only comments
        }
        String where = file + ":" + (first + 1);
        GenericKubernetesResource o;
        try {
            o = Serialization.unmarshal(text.toString(), GenericKubernetesResource.class);
        } catch (RuntimeException e) {
            problems.add(where + ": not a YAML mapping: " + firstLine(e.getMessage()));
            return;
        }
        if (o == null || o.getKind() == null || !KINDS.contains(o.getKind())) {
            problems.add(where + ": kind " + (o == null ? null : o.getKind()) + " is not applied by a GitSource:"
                    + " expected one of BareMetalNode, DiskImage, Cloud");
            return;
        }
        if (!dev.plinth.kubernetes.crd.Crds.API_VERSION.equals(o.getApiVersion())) {
            problems.add(where + ": apiVersion " + o.getApiVersion() + ": expected plinth.dev/v1alpha1");
            return;
        }
        if (o.getMetadata() == null || o.getMetadata().getName() == null) {
            problems.add(where + ": metadata.name: required");
            return;
        }
        String ns = o.getMetadata().getNamespace();
        if (ns != null && !ns.equals(namespace)) {
            problems.add(where + ": metadata.namespace " + ns + ": a GitSource applies only in its own namespace ("
                    + namespace + ")");
            return;
        }
        o.getMetadata().setNamespace(namespace);
        Doc d = new Doc(file, first + 1, o);
        if (!seen.add(d.id())) {
            problems.add(where + ": " + d.id() + " is declared twice in this revision");
            return;
        }
        docs.add(d);
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}

package dev.plinth.kubernetes;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.Cloud;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.diff.RemovalGuard;
import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.CloudResource;
import dev.plinth.kubernetes.crd.DiskImageResource;
import dev.plinth.kubernetes.crd.GitSourceResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The mass-removal hold of a GitSource (issue 10): the core's {@link RemovalGuard}, as standalone's revision tracker
 * calls it, between the namespace as it is and as the new revision would leave it (the GitSource's own objects
 * replaced by the revision's documents: those it no longer declares are pruned). A held revision is applied in
 * nothing until the GitSource is annotated {@value #APPROVE}{@code =<its commit>}; a new commit, even of the same
 * change, is held again, as standalone's hold is decided by comparison, never by remembering commits.
 */
final class RemovalHold {
    /** Set by {@code kubectl annotate} to approve a held revision: its commit, or a prefix of 7+ characters. */
    static final String APPROVE = "plinth.dev/approve-revision";

    /** The namespace's Plinth objects now. */
    record InForce(List<BareMetalNodeResource> nodes, List<DiskImageResource> images, List<CloudResource> clouds) {
        static InForce list(KubernetesClient client, String ns) {
            return new InForce(client.resources(BareMetalNodeResource.class).inNamespace(ns).list().getItems(),
                    client.resources(DiskImageResource.class).inNamespace(ns).list().getItems(),
                    client.resources(CloudResource.class).inNamespace(ns).list().getItems());
        }
    }

    private RemovalHold() {}

    /** The guard a GitSource asks for: its spec's limits, else standalone's defaults. */
    static RemovalGuard guard(GitSourceResource source) {
        var s = source.getSpec();
        return new RemovalGuard(Objects.requireNonNullElse(s.holdRemovalsOver, RemovalGuard.DEFAULT.maxCount()),
                Objects.requireNonNullElse(s.holdRemovalsOverPercent, RemovalGuard.DEFAULT.maxPercent()));
    }

    /** Whether the GitSource's approval annotation names {@code commit}. */
    static boolean approved(GitSourceResource source, String commit) {
        Map<String, String> a = source.getMetadata().getAnnotations();
        String v = a == null ? null : a.get(APPROVE);
        return v != null && v.strip().length() >= 7 && commit.startsWith(v.strip());
    }

    /** The one command that approves {@code commit}. */
    static String approveCommand(GitSourceResource source, String commit) {
        return "kubectl annotate gitsource " + source.getMetadata().getName() + " -n "
                + source.getMetadata().getNamespace() + " " + APPROVE + "=" + commit + " --overwrite";
    }

    /**
     * The hold the revision needs, or empty. Pure. A document that does not convert (a wrong type) is left to the
     * dry run, which rejects the revision: no hold is decided on a revision that cannot be applied.
     *
     * @param owner the GitSource's name: objects labelled with it and not declared by {@code docs} are pruned
     */
    static Optional<RemovalGuard.Hold> check(RemovalGuard guard, InForce now, String owner,
            List<RevisionDocuments.Doc> docs, String commit, String approveWith) {
        DesiredState current = state("", now.nodes(), now.images(), now.clouds(), null);
        // what stays: objects the GitSource does not own are never pruned
        List<BareMetalNodeResource> nodes = new java.util.ArrayList<>(now.nodes().stream().filter(o -> !owned(o, owner))
                .filter(o -> !declared(docs, "BareMetalNode", o)).toList());
        List<DiskImageResource> images = new java.util.ArrayList<>(now.images().stream()
                .filter(o -> !owned(o, owner)).filter(o -> !declared(docs, "DiskImage", o)).toList());
        List<CloudResource> clouds = new java.util.ArrayList<>(now.clouds().stream().filter(o -> !owned(o, owner))
                .filter(o -> !declared(docs, "Cloud", o)).toList());
        try {
            for (var d : docs) {
                GenericKubernetesResource o = d.object();
                switch (o.getKind()) {
                    case "BareMetalNode" -> nodes.add(convert(o, BareMetalNodeResource.class));
                    case "DiskImage" -> images.add(convert(o, DiskImageResource.class));
                    case "Cloud" -> clouds.add(convert(o, CloudResource.class));
                    default -> { }
                }
            }
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        DesiredState next = state(commit, nodes, images, clouds, current);
        return guard.check(current, next, approveWith);
    }

    private static <T> T convert(GenericKubernetesResource o, Class<T> type) {
        return Serialization.jsonMapper().convertValue(o, type);
    }

    private static boolean owned(HasMetadata o, String owner) {
        var labels = o.getMetadata().getLabels();
        return labels != null && owner.equals(labels.get(GitSourceReconciler.OWNER_LABEL));
    }

    private static boolean declared(List<RevisionDocuments.Doc> docs, String kind, HasMetadata o) {
        return docs.stream().anyMatch(d -> d.id().equals(kind + "/" + o.getMetadata().getName()));
    }

    /**
     * The core's view of the objects. A node the operator cannot use (a BMC address no driver serves) runs nothing
     * now; in the new revision it keeps its current form, so it is not counted as removed.
     */
    private static DesiredState state(String revision, List<BareMetalNodeResource> nodeResources,
            List<DiskImageResource> imageResources, List<CloudResource> cloudResources, DesiredState current) {
        Map<String, DiskImage> images = new LinkedHashMap<>();
        for (var r : imageResources) {
            if (r.getSpec() != null) {
                DiskImage i = Translate.image(r);
                images.put(i.name(), i);
            }
        }
        Map<String, Cloud> clouds = new LinkedHashMap<>();
        for (var r : cloudResources) {
            Cloud c = Translate.cloud(r);
            clouds.put(c.name(), c);
        }
        Map<String, BareMetalNode> nodes = new LinkedHashMap<>();
        for (var r : nodeResources) {
            try {
                BareMetalNode n = Translate.node(r);
                nodes.put(n.name(), n);
            } catch (Translate.Invalid | RuntimeException e) {
                BareMetalNode was = current == null ? null : current.nodes().get(NodeKey.of(r));
                if (was != null) {
                    nodes.put(was.name(), was);
                }
            }
        }
        return new DesiredState(revision, images, nodes, clouds);
    }
}

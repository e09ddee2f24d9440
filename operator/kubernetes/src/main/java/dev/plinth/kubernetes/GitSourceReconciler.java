package dev.plinth.kubernetes;

import dev.plinth.kubernetes.crd.Condition;
import dev.plinth.kubernetes.crd.GitSourceResource;
import dev.plinth.kubernetes.crd.GitSourceStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a Git branch's documents to the GitSource's namespace. A revision is applied whole or not at all: its
 * documents are checked against each other and the rest of the namespace by standalone's rules
 * ({@link RevisionCrossCheck}), then every document is applied as a server-side dry run (schema, CEL rules,
 * conflicts with other field managers); any problem rejects the revision, with file:line, and the previous one
 * stays in force. Then every document is
 * applied with field manager {@code plinth-gitsource}, and what the GitSource applied before but this revision
 * no longer declares is deleted (only objects carrying its label).
 */
public final class GitSourceReconciler implements Reconciler<GitSourceResource> {
    public static final String NAME = "gitsource";
    public static final String FIELD_MANAGER = "plinth-gitsource";
    /** On every object a GitSource applied: its name. Pruning deletes only objects that carry it. */
    public static final String OWNER_LABEL = "plinth.dev/gitsource";
    private static final Logger LOG = LoggerFactory.getLogger(GitSourceReconciler.class);
    private static final Pattern INTERVAL = Pattern.compile("([0-9]+)(ms|s|m|h)");

    private final KubernetesClient client;
    private final GitRevisions git;

    public GitSourceReconciler(KubernetesClient client, Path cache) {
        this.client = client;
        this.git = new GitRevisions(cache);
    }

    @Override
    public UpdateControl<GitSourceResource> reconcile(GitSourceResource source, Context<GitSourceResource> ctx) {
        var spec = source.getSpec();
        Duration interval = interval(spec.interval);
        if (Boolean.TRUE.equals(spec.suspend)) {
            return UpdateControl.<GitSourceResource>noUpdate().rescheduleAfter(interval.toMillis());
        }
        String ns = source.getMetadata().getNamespace();
        long generation = Objects.requireNonNullElse(source.getMetadata().getGeneration(), 0L);
        GitSourceStatus before = source.getStatus() == null ? new GitSourceStatus() : source.getStatus();
        GitRevisions.Revision revision;
        try {
            String user = null;
            String password = null;
            if (spec.secretRef != null) {
                Secret s = client.secrets().inNamespace(ns).withName(spec.secretRef.name).get();
                user = s == null ? null : value(s, "username");
                password = s == null ? null : value(s, "password");
            }
            revision = git.fetch(NodeKey.of(source), spec.url, or(spec.branch, "main"), or(spec.path, "."), user,
                    password);
        } catch (Exception e) {
            // the revision in force stays; the fetch is tried again at the next interval
            writeStatus(source, before.lastAppliedRevision, before.lastAttemptedRevision, before.problems,
                    generation, "FetchFailed", "fetch of " + spec.url + " failed: " + e.getMessage(), before.held);
            return UpdateControl.<GitSourceResource>noUpdate().rescheduleAfter(interval.toMillis());
        }
        // applied again every interval, as Flux does: an object deleted or edited by hand is restored, and a
        // revision rejected for a conflict is tried again once the other manager lets go of the field
        // parsed once, and the namespace listed once, for both the hold and the apply
        var parsed = RevisionDocuments.parse(revision.files(), ns);
        RemovalHold.InForce namespace = parsed.problems().isEmpty() ? RemovalHold.InForce.list(client, ns) : null;
        if (namespace != null && held(source, revision, parsed, namespace, before, generation)) {
            return UpdateControl.<GitSourceResource>noUpdate().rescheduleAfter(interval.toMillis());
        }
        List<String> problems = namespace == null ? parsed.problems() : apply(source, revision, parsed, namespace);
        if (problems.isEmpty()) {
            if (!revision.commit().equals(before.lastAppliedRevision)) {
                LOG.info("GitSource {}: applied revision {}", NodeKey.of(source), revision.commit());
            }
            writeStatus(source, revision.commit(), revision.commit(), null, generation, null, null);
        } else {
            LOG.warn("GitSource {}: revision {} rejected: {}", NodeKey.of(source), revision.commit(), problems);
            writeStatus(source, before.lastAppliedRevision, revision.commit(), problems, generation, "Rejected",
                    "revision " + revision.commit() + " rejected (" + problems.size() + " problems): "
                            + problems.get(0));
        }
        return UpdateControl.<GitSourceResource>noUpdate().rescheduleAfter(interval.toMillis());
    }

    /**
     * Whether the revision takes too many machines out of service at once to be applied unless approved
     * ({@link RemovalHold}); if so, the status says so, naming the machines. The revision in force is never checked
     * again (applying it again restores what was edited by hand, it removes nothing).
     */
    private boolean held(GitSourceResource source, GitRevisions.Revision revision, RevisionDocuments.Result parsed,
            RemovalHold.InForce namespace, GitSourceStatus before, long generation) {
        String commit = revision.commit();
        if (commit.equals(before.lastAppliedRevision) || RemovalHold.approved(source, commit)) {
            return false;
        }
        var hold = RemovalHold.check(RemovalHold.guard(source), namespace,
                source.getMetadata().getName(), parsed.docs(), commit, RemovalHold.approveCommand(source, commit));
        if (hold.isEmpty()) {
            return false;
        }
        if (before.held == null || !commit.equals(before.held.revision)) {
            LOG.warn("GitSource {}: revision {} held for approval: {}: {}", NodeKey.of(source), commit,
                    hold.get().reason(), hold.get().machines());
        }
        writeStatus(source, before.lastAppliedRevision, commit, null, generation, "Held", "revision " + commit
                + " held: " + hold.get().reason(), new GitSourceStatus.Held(commit, hold.get().reason(),
                        hold.get().machines()));
        return true;
    }

    /**
     * Whether an update of a GitSource calls for a sync now: a spec change, or a webhook's request
     * ({@link GitSourceHooks#SYNC_REQUESTED}); not the status writes of its own syncs.
     */
    public static boolean worthReconciling(GitSourceResource now, GitSourceResource before) {
        return !Objects.equals(now.getMetadata().getGeneration(), before.getMetadata().getGeneration())
                || !Objects.equals(annotation(now, GitSourceHooks.SYNC_REQUESTED),
                        annotation(before, GitSourceHooks.SYNC_REQUESTED))
                || !Objects.equals(annotation(now, RemovalHold.APPROVE), annotation(before, RemovalHold.APPROVE));
    }

    private static String annotation(GitSourceResource s, String key) {
        Map<String, String> a = s.getMetadata().getAnnotations();
        return a == null ? null : a.get(key);
    }

    /**
     * Applies the revision (its documents parsed without problems) whole; returns its problems (nothing was
     * applied) or an empty list.
     */
    private List<String> apply(GitSourceResource source, GitRevisions.Revision revision,
            RevisionDocuments.Result parsed, RemovalHold.InForce namespace) {
        String ns = source.getMetadata().getNamespace();
        String owner = source.getMetadata().getName();
        // what the documents say about each other and the rest of the namespace (a duplicate MAC, an unknown
        // image): rejected whole here, as standalone rejects such a revision, not left to stall nodes once applied
        Set<String> ids = new HashSet<>();
        parsed.docs().forEach(d -> ids.add(d.id()));
        List<String> cross = RevisionCrossCheck.problems(revision.files(), ids, ns, owner, namespace.nodes(),
                namespace.images());
        if (!cross.isEmpty()) {
            return cross;
        }
        List<String> problems = new ArrayList<>();
        for (var doc : parsed.docs()) {
            mark(doc.object(), owner, revision.commit());
            try {
                ssa(doc.object(), true);
            } catch (KubernetesClientException e) {
                problems.add(doc.where() + ": " + doc.id() + ": " + message(e));
            }
        }
        if (!problems.isEmpty()) {
            return problems;
        }
        Set<String> declared = new HashSet<>();
        for (var doc : parsed.docs()) {
            try {
                ssa(doc.object(), false);
            } catch (KubernetesClientException e) {
                // after a clean dry run only a concurrent change gets here: reported, the rest still applied
                problems.add(doc.where() + ": " + doc.id() + ": " + message(e));
            }
            declared.add(doc.id());
        }
        for (String kind : RevisionDocuments.KINDS) {
            for (var o : client.genericKubernetesResources(context(kind)).inNamespace(ns)
                    .withLabel(OWNER_LABEL, owner).list().getItems()) {
                if (!declared.contains(kind + "/" + o.getMetadata().getName())) {
                    LOG.info("GitSource {}: pruning {} {}", NodeKey.of(source), kind, o.getMetadata().getName());
                    client.genericKubernetesResources(context(kind)).inNamespace(ns)
                            .withName(o.getMetadata().getName()).delete();
                }
            }
        }
        return problems;
    }

    private static void mark(GenericKubernetesResource o, String owner, String commit) {
        Map<String, String> labels = new HashMap<>(Objects.requireNonNullElse(o.getMetadata().getLabels(), Map.of()));
        labels.put(OWNER_LABEL, owner);
        o.getMetadata().setLabels(labels);
        Map<String, String> annotations = new HashMap<>(
                Objects.requireNonNullElse(o.getMetadata().getAnnotations(), Map.of()));
        annotations.put(BareMetalNodeReconciler.REVISION, commit);
        o.getMetadata().setAnnotations(annotations);
    }

    /** Server-side apply without force: a field another manager owns is a conflict, reported, not overwritten. */
    private void ssa(GenericKubernetesResource o, boolean dryRun) {
        var ctx = new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY).withFieldManager(FIELD_MANAGER)
                .withForce(false).withFieldValidation("Strict");
        if (dryRun) {
            ctx.withDryRun(List.of("All"));
        }
        client.genericKubernetesResources(context(o.getKind())).inNamespace(o.getMetadata().getNamespace())
                .resource(o).patch(ctx.build(), o);
    }

    private static ResourceDefinitionContext context(String kind) {
        String plural = switch (kind) {
            case "BareMetalNode" -> "baremetalnodes";
            case "DiskImage" -> "diskimages";
            case "Cloud" -> "clouds";
            default -> throw new IllegalArgumentException(kind);
        };
        return new ResourceDefinitionContext.Builder().withGroup("plinth.dev").withVersion("v1alpha1")
                .withKind(kind).withPlural(plural).withNamespaced(true).build();
    }

    private static String message(KubernetesClientException e) {
        return e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
                : e.getMessage();
    }

    private void writeStatus(GitSourceResource source, String applied, String attempted, List<String> problems,
            long generation, String stalledReason, String stalledMessage) {
        writeStatus(source, applied, attempted, problems, generation, stalledReason, stalledMessage, null);
    }

    private void writeStatus(GitSourceResource source, String applied, String attempted, List<String> problems,
            long generation, String stalledReason, String stalledMessage, GitSourceStatus.Held held) {
        GitSourceStatus s = new GitSourceStatus();
        s.held = held;
        s.observedGeneration = generation;
        s.lastAppliedRevision = applied;
        s.lastAttemptedRevision = attempted;
        s.problems = problems == null || problems.isEmpty() ? null : problems;
        boolean stalled = stalledReason != null;
        String reason = stalled ? stalledReason : "Applied";
        String message = stalled ? stalledMessage : "revision " + applied + " applied";
        s.conditions = NodeConditions.carryTransitionTimes(List.of(
                new Condition(NodeConditions.READY, !stalled, reason, message, generation),
                new Condition(NodeConditions.RECONCILING, false, reason, message, generation),
                new Condition(NodeConditions.STALLED, stalled, reason, message, generation)),
                source.getStatus() == null ? null : source.getStatus().conditions, java.time.Instant.now());
        GitSourceResource patch = new GitSourceResource();
        patch.setMetadata(new ObjectMetaBuilder().withName(source.getMetadata().getName())
                .withNamespace(source.getMetadata().getNamespace()).build());
        patch.setSpec(null);
        patch.setStatus(s);
        client.resource(patch).subresource("status").patch(new PatchContext.Builder()
                .withPatchType(PatchType.SERVER_SIDE_APPLY).withFieldManager(FIELD_MANAGER).withForce(true).build(),
                patch);
    }

    static Duration interval(String text) {
        if (text == null) {
            return Duration.ofMinutes(1);
        }
        Matcher m = INTERVAL.matcher(text);
        Duration d = Duration.ZERO;
        while (m.find()) {
            long n = Long.parseLong(m.group(1));
            d = d.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            });
        }
        return d.isZero() ? Duration.ofMinutes(1) : d;
    }

    private static String or(String v, String orElse) {
        return v == null || v.isBlank() ? orElse : v;
    }

    private static String value(Secret s, String key) {
        if (s.getData() != null && s.getData().get(key) != null) {
            return new String(Base64.getDecoder().decode(s.getData().get(key)), StandardCharsets.UTF_8);
        }
        return s.getStringData() == null ? null : s.getStringData().get(key);
    }
}

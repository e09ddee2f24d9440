package dev.plinth.kubernetes;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.Cloud;
import dev.plinth.api.DesiredState;
import dev.plinth.core.fleet.RoleResolver;
import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.CloudResource;
import dev.plinth.kubernetes.crd.CloudStatus;
import dev.plinth.kubernetes.crd.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A Cloud's status: each role's members (as {@code RoleResolver} places the namespace's nodes, the rule standalone
 * mode reports) against its count, and how many are Ready. Ready when every role has its count and every member
 * is Ready; Stalled when a role lacks nodes or a node is selected by two roles (only a change by the user helps);
 * Reconciling otherwise. Reported, not acted on: nodes are not allocated to roles.
 */
public final class CloudReconciler implements Reconciler<CloudResource> {
    public static final String NAME = "cloud";
    private final KubernetesClient client;
    private volatile InformerEventSource<BareMetalNodeResource, CloudResource> nodes;

    public CloudReconciler(KubernetesClient client) {
        this.client = client;
    }

    @Override
    public List<EventSource<?, CloudResource>> prepareEventSources(EventSourceContext<CloudResource> ctx) {
        var clouds = ctx.getPrimaryCache();
        nodes = new InformerEventSource<>(InformerEventSourceConfiguration
                .from(BareMetalNodeResource.class, CloudResource.class)
                .withName("cloud-nodes")
                .withSecondaryToPrimaryMapper(n -> clouds.list(n.getMetadata().getNamespace())
                        .map(ResourceID::fromResource).collect(Collectors.<ResourceID>toSet()))
                .build(), ctx);
        return List.of(nodes);
    }

    @Override
    public UpdateControl<CloudResource> reconcile(CloudResource cloud, Context<CloudResource> ctx) {
        String ns = cloud.getMetadata().getNamespace();
        Map<String, BareMetalNode> byName = new LinkedHashMap<>();
        Map<String, Boolean> ready = new LinkedHashMap<>();
        nodes.list(ns).forEach(n -> {
            try {
                BareMetalNode node = Translate.node(n);
                byName.put(node.name(), node);
                ready.put(node.name(), n.getStatus() != null && n.getStatus().conditions.stream()
                        .anyMatch(c -> c.type.equals(NodeConditions.READY) && c.status.equals("True")));
            } catch (Translate.Invalid e) {
                // an invalid node is stalled on its own; it is no member of any role
            }
        });
        Map<String, Cloud> clouds = new LinkedHashMap<>();
        ctx.getPrimaryCache().list(ns).map(Translate::cloud).forEach(c -> clouds.put(c.name(), c));
        var resolution = RoleResolver.resolve(new DesiredState("", Map.of(), byName, clouds));

        CloudStatus status = new CloudStatus();
        long generation = Objects.requireNonNullElse(cloud.getMetadata().getGeneration(), 0L);
        status.observedGeneration = generation;
        List<String> stalled = new ArrayList<>();
        List<String> waiting = new ArrayList<>();
        for (var role : resolution.roles()) {
            if (!role.role().cloud().equals(cloud.getMetadata().getName())) {
                continue;
            }
            CloudStatus.RoleStatus r = new CloudStatus.RoleStatus();
            r.name = role.role().role();
            r.count = role.wanted();
            r.members = role.members().size();
            r.ready = (int) role.members().stream().filter(m -> ready.getOrDefault(m, false)).count();
            status.roles.add(r);
            if (role.shortfall() > 0) {
                stalled.add("role " + r.name + " has " + r.members + " of " + r.count + " nodes: label "
                        + role.shortfall() + " more to match its nodeSelector");
            } else if (r.ready < r.members) {
                waiting.add("role " + r.name + ": " + r.ready + " of " + r.members + " nodes Ready");
            }
        }
        Set<String> ambiguous = resolution.ambiguous().stream()
                .filter(p -> p.selectedBy().stream().anyMatch(id -> id.cloud().equals(cloud.getMetadata().getName())))
                .map(p -> p.node() + " (selected by " + p.selectedBy() + ")").collect(Collectors.toSet());
        if (!ambiguous.isEmpty()) {
            stalled.add(0, "nodes selected by two roles, members of neither: " + String.join(", ", ambiguous));
        }
        String trueOne = !stalled.isEmpty() ? NodeConditions.STALLED
                : !waiting.isEmpty() ? NodeConditions.RECONCILING : NodeConditions.READY;
        String reason = !stalled.isEmpty() ? (ambiguous.isEmpty() ? "Shortfall" : "Ambiguous")
                : !waiting.isEmpty() ? "Provisioning" : "AllReady";
        String message = !stalled.isEmpty() ? String.join("; ", stalled) : !waiting.isEmpty()
                ? String.join("; ", waiting) : "every role has its nodes, all Ready";
        status.conditions = NodeConditions.carryTransitionTimes(List.of(
                new Condition(NodeConditions.READY, trueOne.equals(NodeConditions.READY), reason, message, generation),
                new Condition(NodeConditions.RECONCILING, trueOne.equals(NodeConditions.RECONCILING), reason, message,
                        generation),
                new Condition(NodeConditions.STALLED, trueOne.equals(NodeConditions.STALLED), reason, message,
                        generation)),
                cloud.getStatus() == null ? null : cloud.getStatus().conditions, Instant.now());
        if (!sameAs(cloud.getStatus(), status)) {
            CloudResource patch = new CloudResource();
            patch.setMetadata(new ObjectMetaBuilder().withName(cloud.getMetadata().getName()).withNamespace(ns).build());
            patch.setSpec(null);
            patch.setStatus(status);
            client.resource(patch).subresource("status").patch(new PatchContext.Builder()
                    .withPatchType(PatchType.SERVER_SIDE_APPLY).withFieldManager(NodeStatusWriter.FIELD_MANAGER)
                    .withForce(true).build(), patch);
        }
        return UpdateControl.noUpdate();
    }

    /** No write when nothing changed: node events come often, the Cloud's status seldom changes. */
    private static boolean sameAs(CloudStatus before, CloudStatus now) {
        if (before == null || !Objects.equals(before.observedGeneration, now.observedGeneration)
                || before.conditions.size() != now.conditions.size() || before.roles.size() != now.roles.size()) {
            return false;
        }
        for (int i = 0; i < now.conditions.size(); i++) {
            if (!now.conditions.get(i).sameAs(before.conditions.get(i))) {
                return false;
            }
        }
        for (int i = 0; i < now.roles.size(); i++) {
            var a = before.roles.get(i);
            var b = now.roles.get(i);
            if (!Objects.equals(a.name, b.name) || !Objects.equals(a.count, b.count)
                    || !Objects.equals(a.members, b.members) || !Objects.equals(a.ready, b.ready)) {
                return false;
            }
        }
        return true;
    }
}

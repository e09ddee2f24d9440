package dev.plinth.kubernetes;

import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.CloudResource;
import dev.plinth.kubernetes.crd.DiskImageResource;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A Cloud reconcile is the fleet pass of its namespace ({@link FleetPass}): its roles' members, each role's rollout
 * in batches behind the health gate, rollback, and the Cloud's status (members, rollout, kstatus conditions). A node's
 * change (its status included: a deploy that ended, a check-in) or a DiskImage's wakes the Clouds of its namespace;
 * while a role rolls the pass runs every second, so gate timeouts, pauses and probe answers are seen.
 */
public final class CloudReconciler implements Reconciler<CloudResource> {
    public static final String NAME = "cloud";
    static final Duration ROLLING = Duration.ofSeconds(1);
    /** With nothing rolling, no decision depends on time, only on changes, which wake the Cloud: a rare pass. */
    static final Duration IDLE = Duration.ofMinutes(1);
    private final FleetPass fleet;

    public CloudReconciler(FleetPass fleet) {
        this.fleet = fleet;
    }

    @Override
    public List<EventSource<?, CloudResource>> prepareEventSources(EventSourceContext<CloudResource> ctx) {
        var clouds = ctx.getPrimaryCache();
        var nodes = new InformerEventSource<>(InformerEventSourceConfiguration
                .from(BareMetalNodeResource.class, CloudResource.class)
                .withName("cloud-nodes")
                .withSecondaryToPrimaryMapper(n -> clouds.list(n.getMetadata().getNamespace())
                        .map(ResourceID::fromResource).collect(Collectors.<ResourceID>toSet()))
                .build(), ctx);
        var images = new InformerEventSource<>(InformerEventSourceConfiguration
                .from(DiskImageResource.class, CloudResource.class)
                .withName("cloud-images")
                .withSecondaryToPrimaryMapper(i -> clouds.list(i.getMetadata().getNamespace())
                        .map(ResourceID::fromResource).collect(Collectors.<ResourceID>toSet()))
                .build(), ctx);
        return List.of(nodes, images);
    }

    @Override
    public UpdateControl<CloudResource> reconcile(CloudResource cloud, Context<CloudResource> ctx) {
        FleetPass.Planned planned = fleet.run(cloud.getMetadata().getNamespace());
        Duration again = planned == null || planned.rolling() ? ROLLING : IDLE;
        return UpdateControl.<CloudResource>noUpdate().rescheduleAfter(again.toMillis());
    }
}

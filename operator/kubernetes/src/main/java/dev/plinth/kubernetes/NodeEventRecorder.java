package dev.plinth.kubernetes;

import dev.plinth.reconcile.NodeEvents;
import dev.plinth.store.NodeEvent;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The core's node events as Kubernetes Events on the BareMetalNode (the operator's {@code NodeHistory}):
 * best-effort, as in standalone mode. Their messages come from the core, which never puts a credential in one.
 */
public final class NodeEventRecorder {
    private static final Logger LOG = LoggerFactory.getLogger(NodeEventRecorder.class);
    private static final Set<String> WARNINGS = Set.of(NodeEvents.ERROR, NodeEvents.SECURITY, NodeEvents.RETRY);
    private static final int MAX_MESSAGE = 1024;
    private static final AtomicLong SEQUENCE = new AtomicLong(System.nanoTime());

    private final KubernetesClient client;
    private final String component;

    public NodeEventRecorder(KubernetesClient client, String component) {
        this.client = client;
        this.component = component;
    }

    public void record(HasMetadata node, NodeEvent event) {
        if (event == null || event.type().equals(NodeEvents.STEP)) {
            return; // steps are progress, shown in status; Events are for transitions, heals and errors
        }
        record(node, WARNINGS.contains(event.type()) ? "Warning" : "Normal", event.type(), event.message(),
                event.at());
    }

    public void record(HasMetadata node, String type, String reason, String message, Instant at) {
        String text = message == null ? "" : message;
        if (text.length() > MAX_MESSAGE) {
            text = text.substring(0, MAX_MESSAGE - 3) + "...";
        }
        var meta = node.getMetadata();
        String time = at.toString();
        try {
            client.v1().events().inNamespace(meta.getNamespace()).resource(new EventBuilder()
                    .withNewMetadata()
                    .withName(meta.getName() + "." + Long.toHexString(SEQUENCE.incrementAndGet()))
                    .withNamespace(meta.getNamespace())
                    .endMetadata()
                    .withInvolvedObject(new ObjectReferenceBuilder().withApiVersion(node.getApiVersion())
                            .withKind(node.getKind()).withName(meta.getName()).withNamespace(meta.getNamespace())
                            .withUid(meta.getUid()).build())
                    .withType(type).withReason(reason).withMessage(text)
                    .withFirstTimestamp(time).withLastTimestamp(time).withCount(1)
                    .withNewSource().withComponent(component).endSource()
                    .build()).create();
        } catch (KubernetesClientException e) {
            LOG.warn("could not record event {} on {}/{}: {}", reason, meta.getNamespace(), meta.getName(),
                    e.getMessage());
        }
    }
}

package dev.plinth.kubernetes;

import dev.plinth.api.NodeStatus;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.NodeStatusMapper;
import dev.plinth.json.Json;
import dev.plinth.kubernetes.crd.BareMetalNodeResource;
import dev.plinth.kubernetes.crd.BareMetalNodeStatus;
import dev.plinth.kubernetes.crd.Condition;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Instant;
import java.util.List;

/**
 * Writes a node's status by server-side apply on the status subresource, as field manager {@code plinth}: the
 * whole status Plinth owns in one apply, so fields it stops sending (a cleared error) are removed.
 */
public final class NodeStatusWriter {
    public static final String FIELD_MANAGER = "plinth";
    private static final PatchContext APPLY = new PatchContext.Builder().withPatchType(PatchType.SERVER_SIDE_APPLY)
            .withFieldManager(FIELD_MANAGER).withForce(true).build();

    private final KubernetesClient client;

    public NodeStatusWriter(KubernetesClient client) {
        this.client = client;
    }

    /** The status of {@code rec}: the public view of both hosts, the conditions and the record to resume from. */
    public static BareMetalNodeStatus statusOf(NodeRecord rec, List<Condition> conditions, long generation,
            String credentialsVersion, String revision) {
        BareMetalNodeStatus s = new BareMetalNodeStatus();
        s.observedGeneration = generation;
        s.conditions = conditions;
        s.credentialsVersion = credentialsVersion;
        s.revision = revision;
        if (rec == null) {
            return s;
        }
        NodeStatus v = NodeStatusMapper.toStatus(rec);
        s.state = v.state();
        s.step = v.step();
        s.power = v.power();
        s.powerAssumed = v.powerAssumed() ? Boolean.TRUE : null;
        s.powerCheckedAt = str(v.powerCheckedAt());
        s.bootDevice = v.bootDevice();
        s.image = v.image();
        s.imageVerified = v.imageVerified();
        s.targetImage = v.targetImage();
        s.message = v.message() == null || v.message().isEmpty() ? null : v.message();
        if (v.error() != null) {
            s.error = new BareMetalNodeStatus.ErrorStatus();
            s.error.kind = v.error().kind();
            s.error.message = v.error().message();
            s.error.count = v.error().count();
            s.error.retryAt = str(v.error().retryAt());
        }
        if (v.progress() != null) {
            s.progress = new BareMetalNodeStatus.Progress();
            s.progress.phase = v.progress().phase();
            s.progress.bytesWritten = v.progress().bytesWritten();
            s.progress.bytesTotal = v.progress().bytesTotal();
        }
        s.stepMillis = v.stepMillis().isEmpty() ? null : v.stepMillis();
        s.updatedAt = str(v.updatedAt());
        s.record = Json.write(rec);
        return s;
    }

    /** The record a status carries; null when none was written yet. */
    public static NodeRecord recordOf(BareMetalNodeStatus status) {
        return status == null || status.record == null ? null : Json.read(status.record, NodeRecord.class);
    }

    /** Applies {@code status} to the node; returns once the API server has stored it. */
    public void apply(BareMetalNodeResource node, BareMetalNodeStatus status) {
        BareMetalNodeResource patch = new BareMetalNodeResource();
        patch.setMetadata(new ObjectMetaBuilder().withName(node.getMetadata().getName())
                .withNamespace(node.getMetadata().getNamespace()).build());
        patch.setSpec(null);
        patch.setStatus(status);
        client.resource(patch).subresource("status").patch(APPLY, patch);
    }

    private static String str(Instant i) {
        return i == null ? null : i.toString();
    }
}

package dev.plinth.core;

import dev.plinth.api.NodeStatus;
import java.util.LinkedHashMap;
import java.util.Map;

/** The public {@link NodeStatus} of a {@link NodeRecord}: what both hosts show, from the one record. */
public final class NodeStatusMapper {
    private NodeStatusMapper() {}

    public static NodeStatus toStatus(NodeRecord r) {
        NodeRecord.Operation op = r.operation();
        NodeRecord.Deploy deploy = r.deploy();
        Map<String, Long> stepMillis = new LinkedHashMap<>();
        op.timings().forEach((step, millis) -> stepMillis.put(step.name(), millis));
        return new NodeStatus(
                r.state().name(),
                nameOf(op.step()),
                r.power().state().name(),
                r.power().checkedAt(),
                r.power().assumed(),
                nameOf(r.power().bootDevice()),
                r.image() == null ? null : r.image().name(),
                r.image() == null ? null : !r.imageUnverified(),
                deploy.targetImage() == null ? null : deploy.targetImage().name(),
                r.message(),
                r.error().kind() == null ? null : new NodeStatus.Error(r.error().kind().name(), r.error().message(),
                        r.error().count(), op.notBefore()),
                deploy.phase() == null ? null : new NodeStatus.Progress(deploy.phase().name(), deploy.bytesWritten(),
                        deploy.bytesTotal()),
                stepMillis,
                deploy.phaseMillis(),
                op.lastMillis(),
                r.updatedAt());
    }

    private static String nameOf(Enum<?> e) {
        return e == null ? null : e.name();
    }
}

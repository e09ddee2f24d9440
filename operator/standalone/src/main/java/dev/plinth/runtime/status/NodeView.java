package dev.plinth.runtime.status;

import dev.plinth.core.NodeRecord;
import dev.plinth.store.NodeEvent;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** A node as the status API and CLI show it: actual state beside what Git asks for. */
public record NodeView(
        String name,
        boolean inGit,
        String state,
        String step,
        String power,
        boolean online,
        String bootDevice,
        String image,
        String desiredImage,
        String targetImage,
        boolean settled,
        String message,
        Error error,
        Progress progress,
        Map<String, Long> stepMillis,
        Map<String, Long> deployPhaseMillis,
        long lastOperationMillis,
        Instant updatedAt,
        List<NodeEvent> events) {

    public record Error(String kind, String message, int count, Instant retryAt) {}

    public record Progress(String phase, long bytesWritten, long bytesTotal) {}

    /** @param settled see {@link dev.plinth.core.fleet.Settled}: the one definition status and the CLI share */
    static NodeView of(NodeRecord r, boolean inGit, boolean online, String desiredImage, boolean settled,
            List<NodeEvent> events) {
        Map<String, Long> timings = new java.util.LinkedHashMap<>();
        r.timings().forEach((k, v) -> timings.put(k.name(), v));
        return new NodeView(r.name(), inGit, r.state().name(), r.step() == null ? null : r.step().name(),
                r.powerState().name(), online, r.bootDevice() == null ? null : r.bootDevice().name(),
                r.image() == null ? null : r.image().name(), desiredImage,
                r.targetImage() == null ? null : r.targetImage().name(), settled, r.message(),
                r.errorKind() == null ? null : new Error(r.errorKind().name(), r.errorMessage(), r.errorCount(),
                        r.notBefore()),
                r.deployPhase() == null ? null : new Progress(r.deployPhase().name(), r.bytesWritten(),
                        r.bytesTotal()),
                timings, r.deployMillis(), r.lastOperationMillis(), r.updatedAt(), events);
    }
}

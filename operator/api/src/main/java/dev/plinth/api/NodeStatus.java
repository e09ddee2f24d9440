package dev.plinth.api;

import java.time.Instant;
import java.util.Map;

/**
 * A node's actual state as users see it: the status of a BareMetalNode custom resource in operator mode, and the
 * core of a node in standalone mode's HTTP API and CLI. Plain values (enum names as text) so it serialises the same
 * from every host; made from the controller's internal record by core's {@code NodeStatusMapper}.
 *
 * @param state lifecycle state: REGISTERING, AVAILABLE, PROVISIONING, PROVISIONED, DEPROVISIONING, ERROR
 * @param step the step in progress within {@code state}; null when none
 * @param power ON, OFF or UNKNOWN: as the BMC last said, or (when {@code powerAssumed}) as the last power command
 *     asked; UNKNOWN after an operation failed with power only commanded, until the BMC is read again
 * @param powerCheckedAt when the power state was last observed (the BMC read, or the written OS checking in);
 *     null when never
 * @param powerAssumed true when {@code power} is what a command since {@code powerCheckedAt} asked for, not
 *     observed
 * @param image the image on the node's disk: verified by Plinth (written and checked in), or adopted (see
 *     {@code imageVerified}); null when none
 * @param imageVerified false when {@code image} was adopted after the controller lost its record (the machine was
 *     found running from disk) and the running OS has not proven it yet; null when there is no image
 * @param targetImage the image being written; null when not provisioning
 * @param message why the node waits, in words; empty when it does not
 * @param error the last failure; null when none
 * @param progress the deploy's progress; null when no deploy ran
 * @param stepMillis per completed step of the current or last operation
 * @param deployPhaseMillis the deploy ramdisk's own measures (bootToAgent, downloadAndWrite, verify)
 */
public record NodeStatus(
        String state,
        String step,
        String power,
        Instant powerCheckedAt,
        boolean powerAssumed,
        String bootDevice,
        String image,
        Boolean imageVerified,
        String targetImage,
        String message,
        Error error,
        Progress progress,
        Map<String, Long> stepMillis,
        Map<String, Long> deployPhaseMillis,
        long lastOperationMillis,
        Instant updatedAt) {

    public NodeStatus {
        stepMillis = stepMillis == null ? Map.of() : stepMillis;
        deployPhaseMillis = deployPhaseMillis == null ? Map.of() : deployPhaseMillis;
    }

    /** @param retryAt when the failed operation or check is tried again */
    public record Error(String kind, String message, int count, Instant retryAt) {}

    public record Progress(String phase, long bytesWritten, long bytesTotal) {}
}

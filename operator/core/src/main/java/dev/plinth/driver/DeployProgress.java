package dev.plinth.driver;

import java.util.Map;

/**
 * A snapshot of one deploy. {@code message} explains FAILED; bytes are 0 when unknown.
 *
 * @param phaseMillis how long the ramdisk's phases took so far, by name ({@code bootToAgent}, {@code downloadAndWrite},
 *     {@code verify}), as far as the driver can tell; empty when it cannot
 * @param alert a security event the driver saw on this deploy (e.g. its boot credential asked for twice), shown in
 *     node status and history; empty when none. Never holds a secret.
 */
public record DeployProgress(DeployPhase phase, long bytesWritten, long bytesTotal, String message,
        Map<String, Long> phaseMillis, String alert) {

    public DeployProgress {
        phaseMillis = phaseMillis == null ? Map.of() : Map.copyOf(phaseMillis);
        alert = alert == null ? "" : alert;
    }

    public DeployProgress(DeployPhase phase, long bytesWritten, long bytesTotal, String message,
            Map<String, Long> phaseMillis) {
        this(phase, bytesWritten, bytesTotal, message, phaseMillis, "");
    }

    public DeployProgress(DeployPhase phase, long bytesWritten, long bytesTotal, String message) {
        this(phase, bytesWritten, bytesTotal, message, Map.of());
    }

    public static DeployProgress of(DeployPhase phase) {
        return new DeployProgress(phase, 0, 0, "");
    }
}

package dev.plinth.agent;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import dev.plinth.driver.DeployPhase;
import dev.plinth.driver.DeployProgress;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One deploy, as persisted in the {@link DeployRegistry} document. Holds no token: tokens are derived
 * ({@link AgentTokens}) so that the store never sees one. Mutated only under the registry's monitor.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY)
final class Deploy {
    String deployId;
    String node;
    /** A wipe of every disk (cleaning), not an image deploy: no image fields; ended by {@code cleaned}. */
    boolean wipe;
    /** An inspection on demand: the ramdisk reports its inventory and powers off, writing nothing; ended by
     * {@code inspected}. No image fields either. */
    boolean inspect;
    String mac;
    String imageName;
    /** sha256 of the raw bytes the agent must write (the served image, after any qcow2 conversion). */
    String sha256;
    /** The image's URL path under advertisedBaseUrl. */
    String imagePath;
    String compression;
    long imageBytes;
    String deviceName;
    Integer minSizeGigabytes;
    String model;
    String vendor;
    String serialNumber;
    String wwn;
    Boolean rotational;
    DeployPhase phase = DeployPhase.WAITING;
    long bytesWritten;
    String message = "";
    boolean checkedIn;
    String checkinImage;
    boolean closed;
    Instant started;
    Instant updated;
    Instant writingAt;
    /** When the ramdisk said it booted; null before. */
    Instant bootedAt;
    /**
     * Boot serial: raised each time the lifecycle is about to boot the machine into the ramdisk (its boot window
     * opens); the tokens are derived from it, so each boot has its own. 0: no window opened yet, no valid token.
     */
    int boot;
    /** When the current boot's window opened; null when none is open. */
    Instant windowOpenedAt;
    /** The current boot's deploy script (its tokens) has been handed out: a second request is refused. */
    boolean claimed;
    /** The last security event seen on this deploy, for node status and history; empty when none. No secret. */
    String alert = "";
    /** Durations of the ramdisk's phases, in ms: what makes a deploy slow, shown in node status. */
    Map<String, Long> phaseMillis = new LinkedHashMap<>();

    DeployProgress progress() {
        return new DeployProgress(phase, bytesWritten, imageBytes, message == null ? "" : message, phaseMillis,
                alert);
    }

    /** Adds to the message rather than replacing it: what happened before stays visible in node status. */
    void appendMessage(String more) {
        message = message == null || message.isEmpty() ? more : message + "; " + more;
    }
}

package dev.plinth.agent;

import dev.plinth.driver.DeployPhase;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the ramdisk's events and the installed OS's check-in (ramdisk/PROTOCOL.md) do to a deploy, apart from HTTP:
 * the phase it moves to, the message node status shows, and the answer the reporter gets.
 * Callers hold the registry's monitor and persist afterwards.
 */
final class DeployReports {
    // the facade's name, so log lines keep the logger they had before the split
    private static final Logger LOG = LoggerFactory.getLogger(AgentService.class);

    /** The HTTP status and plain-text body a report is answered with. */
    record Answer(int status, String body) {
        static final Answer OK = new Answer(200, "ok\n");
    }

    private DeployReports() {
    }

    /** Applies an agent's event ({@code phase=...} and its fields); null when the phase is unknown. */
    static Answer event(Deploy d, String phase, Map<String, String> form, Clock clock) {
        long bytes = parseLong(form.get("bytes"));
        boolean ends = phase.equals("written") || phase.equals("cleaned") || phase.equals("inspected");
        String kind = d.wipe ? "cleaned" : d.inspect ? "inspected" : "written";
        if (ends && !phase.equals(kind)) {
            // a wipe ends only by `cleaned`, an inspection by `inspected`, a deploy by `written`; another end is
            // refused and changes nothing
            return new Answer(409, "not a " + (phase.equals("cleaned") ? "wipe" : phase.equals("inspected")
                    ? "inspection" : "deploy") + "\n");
        }
        switch (phase) {
            case "booted" -> {
                d.bootedAt = clock.instant();
                if (d.started != null) {
                    d.phaseMillis.put("bootToAgent", Duration.between(d.started, clock.instant()).toMillis());
                }
                d.message = "ramdisk booted" + (form.containsKey("ip") ? " with address " + form.get("ip") : "")
                        + (form.containsKey("interface") ? " on " + form.get("interface") : "");
            }
            case "bench" -> d.message = "bench: " + bytes + " bytes in " + form.getOrDefault("centiseconds", "?")
                    + " cs";
            case "writing" -> {
                if (bytes < 0 || (d.imageBytes > 0 && bytes > d.imageBytes)) {
                    // a progress past the image would show as more than 100% and hide a real one
                    return new Answer(400, "bytes out of range: expected 0 to " + d.imageBytes + "\n");
                }
                if (d.writingAt == null) {
                    d.writingAt = clock.instant();
                }
                d.phase = DeployPhase.WRITING;
                // progress only grows: a late or repeated event does not move it back
                d.bytesWritten = Math.max(d.bytesWritten, bytes);
                d.message = "writing" + (form.containsKey("disk") ? " to " + form.get("disk") : "");
            }
            case "written" -> {
                return written(d, bytes, form, clock);
            }
            case "cleaned" -> {
                // reported as WRITTEN: the operation's end, as for a deploy
                d.phase = DeployPhase.WRITTEN;
                long wipe = parseLong(form.get("wipeCentiseconds")) * 10;
                if (wipe > 0) {
                    d.phaseMillis.put("wipe", wipe);
                }
                d.message = "disks wiped: " + form.getOrDefault("disks", "(none named)");
            }
            case "inspected" -> {
                // reported as WRITTEN: the operation's end; nothing was written
                d.phase = DeployPhase.WRITTEN;
                d.message = "inspected: the hardware reported, no disk touched";
            }
            case "failed" -> {
                d.phase = DeployPhase.FAILED;
                d.message = "agent: " + form.getOrDefault("message", "(no message)");
            }
            default -> {
                return null;
            }
        }
        return Answer.OK;
    }

    /** What an inventory report did: the answer, and the inventory to keep for the node (null when malformed). */
    record Inventoried(Answer answer, Inventory inventory) {}

    /**
     * Applies the agent's {@code phase=inventory}: kept for the node whatever it says; root device hints that
     * single out no disk, or several, fail the deploy before anything is written (the agent stops on the 409); a
     * boot MAC that is none of the machine's NICs is reported (an alert: status message and one event), not fatal.
     */
    static Inventoried inventory(Deploy d, Map<String, String> form, Clock clock) {
        Inventory inv;
        try {
            inv = Inventory.fromForm(d.deployId, clock.instant(), form);
        } catch (IllegalArgumentException e) {
            LOG.warn("deploy {} of node {}: malformed inventory: {}", d.deployId, d.node, e.getMessage());
            return new Inventoried(new Answer(400, "bad inventory: " + e.getMessage() + "\n"), null);
        }
        if (d.bootedAt != null) {
            // what inspection costs a deploy: the ramdisk's instructions fetch and its reading of /proc and /sys
            d.phaseMillis.put("inspect", Duration.between(d.bootedAt, clock.instant()).toMillis());
        }
        String macProblem = InventoryCheck.bootMacProblem(d.mac, inv);
        if (macProblem != null) {
            d.alert = macProblem;
            LOG.warn("deploy {} of node {}: {}", d.deployId, d.node, macProblem);
        }
        String summary = "inventory: " + inv.cpus() + " CPU(s), " + inv.memoryBytes() / (1 << 20) + " MiB, "
                + inv.disks().size() + " disk(s), " + inv.nics().size() + " NIC(s), " + inv.firmware();
        if (d.inspect) {
            // an inspection chooses no disk: a machine without one is inspected all the same
            d.message = summary;
            return new Inventoried(Answer.OK, inv);
        }
        InventoryCheck.Resolution r = InventoryCheck.resolve(new dev.plinth.api.RootDeviceHints(d.deviceName,
                d.model, d.vendor, d.serialNumber, d.wwn, d.minSizeGigabytes, d.rotational), inv);
        if (r.problem() != null) {
            d.phase = DeployPhase.FAILED;
            d.message = "inventory: " + r.problem();
            return new Inventoried(new Answer(409, "root device hints: " + r.problem() + "\n"), inv);
        }
        d.message = summary + "; target disk /dev/" + r.disk().name();
        return new Inventoried(Answer.OK, inv);
    }

    /** The agent says it wrote the image: believed only when the sha256 and length are the expected ones. */
    private static Answer written(Deploy d, long bytes, Map<String, String> form, Clock clock) {
        String sha = form.getOrDefault("sha256", "").toLowerCase(Locale.ROOT);
        d.bytesWritten = bytes;
        if (!sha.equals(d.sha256)) {
            d.phase = DeployPhase.FAILED;
            d.message = "agent wrote " + (sha.isEmpty() ? "(no sha256)" : sha) + ", expected " + d.sha256;
            return new Answer(409, "sha256 mismatch\n");
        }
        if (d.imageBytes > 0 && bytes != d.imageBytes) {
            d.phase = DeployPhase.FAILED;
            d.message = "agent wrote " + bytes + " bytes, expected " + d.imageBytes;
            return new Answer(409, "length mismatch\n");
        }
        d.phase = DeployPhase.WRITTEN;
        long write = parseLong(form.get("writeCentiseconds")) * 10;
        if (write > 0) {
            d.phaseMillis.put("downloadAndWrite", write);
        }
        if (d.writingAt != null) {
            long all = Duration.between(d.writingAt, clock.instant()).toMillis();
            d.phaseMillis.put("verify", Math.max(0, all - write));
        }
        d.message = "written and verified" + (form.containsKey("disk") ? " on " + form.get("disk") : "")
                + (form.containsKey("writeCentiseconds") ? " in " + form.get("writeCentiseconds") + " cs" : "");
        return Answer.OK;
    }

    /**
     * Applies the installed OS's check-in to a written deploy: checked in only when it runs the deployed image
     * on the deployed node.
     */
    static Answer checkIn(Deploy d, Map<String, String> form, Clock clock) {
        String image = form.getOrDefault("image", "");
        String reportedNode = form.getOrDefault("node", d.node);
        d.checkinImage = image;
        d.updated = clock.instant();
        if (!image.equals(d.imageName)) {
            d.checkedIn = false;
            d.message = "node checked in running image '" + image + "', expected '" + d.imageName + "'";
            LOG.warn("deploy {} of node {}: {}", d.deployId, d.node, d.message);
            return new Answer(409, "wrong image\n");
        }
        if (!reportedNode.isEmpty() && !reportedNode.equals(d.node)) {
            d.checkedIn = false;
            d.message = "check-in says node '" + reportedNode + "', expected '" + d.node + "'";
            LOG.warn("deploy {} of node {}: {}", d.deployId, d.node, d.message);
            return new Answer(409, "wrong node\n");
        }
        d.checkedIn = true;
        d.message = "checked in" + (form.containsKey("ip") ? " from " + form.get("ip") : "");
        LOG.info("deploy {}: node {} checked in running {}", d.deployId, d.node, image);
        return Answer.OK;
    }

    /** A missing or malformed number counts as 0: the ramdisk's busybox reports are best effort. */
    private static long parseLong(String s) {
        try {
            return s == null ? 0 : Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}

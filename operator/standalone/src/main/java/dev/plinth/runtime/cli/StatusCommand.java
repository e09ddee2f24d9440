package dev.plinth.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.core.Printable;
import dev.plinth.revision.RevisionTracker;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the revision in force, rejected revisions and every node, from a running controller.")
final class StatusCommand implements Callable<Integer> {
    @Mixin
    ApiOptions controller;

    @Parameters(arity = "0..1", paramLabel = "NODE", description = "Show one node in detail, with its history.")
    String node;

    @Override
    public Integer call() throws Exception {
        ApiClient api = controller.client();
        if (node != null) {
            String path = "/api/v1/nodes/" + URLEncoder.encode(node, StandardCharsets.UTF_8);
            return showNode(api.find(path).orElseThrow(() -> new IllegalStateException("no node " + node
                    + " on the controller at " + api.base() + " (`plinth status` lists the nodes it has)")));
        }
        JsonNode summary = api.get("/api/v1/status");
        JsonNode inForce = summary.path("inForce");
        if (inForce.isMissingNode() || inForce.isNull()) {
            System.out.println("Revision in force: none yet");
        } else {
            System.out.printf("Revision in force: %s  %s  (applied %s)%n", RevisionTracker.shortId(str(inForce.path("revision"))),
                    str(inForce.path("description")), str(inForce.path("appliedAt")));
        }
        JsonNode revisions = api.get("/api/v1/revisions");
        JsonNode held = revisions.path("held");
        if (held.isObject()) {
            System.out.printf("HELD for approval: %s  %s  (%s)%n  %s%n", RevisionTracker.shortId(str(held.path("revision"))),
                    str(held.path("description")), str(held.path("reason")), held.path("machines"));
        }
        for (JsonNode r : revisions.path("rejected")) {
            System.out.printf("Rejected: %s  %s  (%d problem(s); first: %s)%n", RevisionTracker.shortId(str(r.path("revision"))),
                    str(r.path("description")), r.path("problems").size(), problem(r.path("problems").path(0)));
        }
        JsonNode source = summary.path("source");
        if (source.isObject()) {
            System.out.printf("Git: last fetch %s%s%n", text(source.path("lastFetch")),
                    source.path("lastError").isNull() || source.path("lastError").isMissingNode() ? ", ok"
                            : ", FAILED: " + str(source.path("lastError")));
        }
        for (JsonNode image : api.get("/api/v1/images")) {
            if (!str(image.path("availability")).equals("READY")) {
                System.out.printf("Image %s: %s %s (used by %s)%n", str(image.path("name")),
                        str(image.path("availability")), str(image.path("message")), image.path("usedBy"));
            }
        }
        for (JsonNode cloud : api.get("/api/v1/clouds")) {
            for (JsonNode role : cloud.path("roles")) {
                // only roles that need attention: too few members, or nodes no role can claim
                if (role.path("shortfall").asInt() > 0 || role.path("ambiguous").size() > 0) {
                    System.out.printf("Role %s/%s: %d of %d nodes selected%s%n", str(cloud.path("name")),
                            str(role.path("name")), role.path("selected").asInt(), role.path("count").asInt(),
                            role.path("ambiguous").size() > 0
                                    ? "; also selected by another role, so in neither: " + role.path("ambiguous")
                                    : "");
                }
                printRollout(str(cloud.path("name")) + "/" + str(role.path("name")), role.path("rollout"));
            }
        }
        System.out.printf("Nodes: %s  converged: %s%n%n", summary.path("nodesByState"), summary.path("converged"));
        Table t = new Table("NAME", "STATE", "STEP", "POWER", "IMAGE", "WANTS", "LAST OP", "MESSAGE");
        for (JsonNode n : api.get("/api/v1/nodes")) {
            String message = n.path("error").isObject()
                    ? str(n.path("error").path("kind")) + ": " + str(n.path("error").path("message"))
                    : str(n.path("message"));
            t.row(str(n.path("name")), str(n.path("state")), text(n.path("step")), power(n),
                    image(n), text(n.path("desiredImage")),
                    seconds(n.path("lastOperationMillis").asLong()), message);
        }
        t.print(System.out);
        return 0;
    }

    private static int showNode(JsonNode n) {
        System.out.printf("%s: %s%s, power %s, boot %s%n", str(n.path("name")), str(n.path("state")),
                n.path("step").isNull() ? "" : "/" + str(n.path("step")), powerWithTime(n),
                text(n.path("bootDevice")));
        System.out.printf("image: %s  (Git wants %s)%n", image(n), text(n.path("desiredImage")));
        if (unverified(n)) {
            System.out.println("image unverified: adopted running from disk without a record; proven when its OS"
                    + " checks in, re-imaged only when Git asks for another image");
        }
        if (n.path("error").isObject()) {
            System.out.printf("error: %s %s (failures in a row: %s, retry at %s)%n", str(n.path("error").path("kind")),
                    str(n.path("error").path("message")), str(n.path("error").path("count")),
                    str(n.path("error").path("retryAt")));
        }
        if (!str(n.path("message")).isEmpty()) {
            System.out.println("message: " + str(n.path("message")));
        }
        System.out.println("step timings of the last operation:");
        n.path("stepMillis").fields().forEachRemaining(e ->
                System.out.printf("  %-20s %s%n", Printable.of(e.getKey()), seconds(e.getValue().asLong())));
        if (n.path("deployPhaseMillis").size() > 0) {
            System.out.println("inside the deploy ramdisk:");
            n.path("deployPhaseMillis").fields().forEachRemaining(e ->
                    System.out.printf("  %-20s %s%n", Printable.of(e.getKey()), seconds(e.getValue().asLong())));
        }
        inventory(n).forEach(System.out::println);
        System.out.println("history:");
        for (JsonNode e : n.path("events")) {
            System.out.printf("  %s  %-7s %s%n", str(e.path("at")), str(e.path("type")),
                    str(e.path("message")));
        }
        return 0;
    }

    /** The hardware the deploy ramdisk last reported, as lines; none when the node has no inventory. */
    static java.util.List<String> inventory(JsonNode n) {
        JsonNode inv = n.path("inventory");
        java.util.List<String> lines = new java.util.ArrayList<>();
        if (!inv.isObject()) {
            return lines;
        }
        if (inv.path("bmc").isObject()) {
            lines.addAll(bmcInventory(inv.path("bmc")));
        }
        if (!inv.has("deployId")) {
            return lines; // the BMC's only: no deploy ramdisk reported yet
        }
        lines.add(String.format("inventory (reported by the deploy ramdisk of %s at %s):", str(inv.path("deployId")),
                str(inv.path("at"))));
        lines.add(String.format("  %s CPU(s) %s, %s MiB memory, firmware %s", str(inv.path("cpus")),
                str(inv.path("cpuModel")), inv.path("memoryBytes").asLong() >> 20, str(inv.path("firmware"))));
        for (JsonNode d : inv.path("disks")) {
            lines.add(String.format("  disk %-8s %d bytes  model=%s vendor=%s serial=%s wwn=%s rotational=%s%s",
                    str(d.path("name")), d.path("sizeBytes").asLong(), str(d.path("model")), str(d.path("vendor")),
                    str(d.path("serial")), str(d.path("wwn")), text(d.path("rotational")),
                    (d.path("removable").asBoolean() ? " removable" : "") + (d.path("readOnly").asBoolean()
                            ? " read-only" : "")));
        }
        for (JsonNode nic : inv.path("nics")) {
            lines.add(String.format("  nic  %-8s %s  link %s%s", str(nic.path("name")), str(nic.path("mac")),
                    str(nic.path("link")), nic.path("speedMbps").isNumber() ? " " + nic.path("speedMbps").asInt()
                            + " Mb/s" : ""));
        }
        return lines;
    }

    /** The machine as its BMC described it, as lines (only what the BMC told). */
    static java.util.List<String> bmcInventory(JsonNode b) {
        java.util.List<String> lines = new java.util.ArrayList<>();
        lines.add("inventory (read from the BMC at " + str(b.path("at")) + "):");
        java.util.List<String> machine = new java.util.ArrayList<>();
        for (String[] f : new String[][] {{"manufacturer", ""}, {"model", ""}, {"serialNumber", "serial "},
                {"biosVersion", "BIOS "}, {"bootMode", "boot mode "}}) {
            if (b.path(f[0]).isTextual()) {
                machine.add(f[1] + str(b.path(f[0])));
            }
        }
        if (!machine.isEmpty()) {
            lines.add("  " + String.join(", ", machine));
        }
        if (b.path("cpus").isNumber() || b.path("memoryBytes").isNumber()) {
            lines.add(String.format("  %s CPU(s) %s, %s MiB memory", text(b.path("cpus")), text(b.path("cpuModel")),
                    b.path("memoryBytes").isNumber() ? Long.toString(b.path("memoryBytes").asLong() >> 20) : "-"));
        }
        for (JsonNode p : b.path("processors")) {
            lines.add(String.format("  cpu  %-12s %s  cores=%s threads=%s", str(p.path("name")), text(p.path("model")),
                    text(p.path("cores")), text(p.path("threads"))));
        }
        for (JsonNode m : b.path("memory")) {
            lines.add(String.format("  dimm %-12s %d MiB", str(m.path("name")), m.path("sizeBytes").asLong() >> 20));
        }
        for (JsonNode d : b.path("disks")) {
            lines.add(String.format("  disk %-12s %s bytes  model=%s serial=%s", str(d.path("name")),
                    text(d.path("sizeBytes")), text(d.path("model")), text(d.path("serial"))));
        }
        for (JsonNode nic : b.path("nics")) {
            lines.add(String.format("  nic  %-12s %s%s", str(nic.path("name")), text(nic.path("mac")),
                    nic.path("speedMbps").isNumber() ? " " + nic.path("speedMbps").asInt() + " Mb/s" : ""));
        }
        for (JsonNode u : b.path("unavailable")) {
            lines.add("  not read: " + str(u));
        }
        return lines;
    }

    /** The table's POWER: a state only commanded is marked, so it is not read as what the machine does. */
    private static String power(JsonNode n) {
        return str(n.path("power")) + (n.path("powerAssumed").asBoolean() ? " (assumed)" : "");
    }

    /** The detail's power: what was observed and when, or what was commanded since. */
    static String powerWithTime(JsonNode n) {
        String power = str(n.path("power"));
        JsonNode at = n.path("powerCheckedAt");
        if (at.isMissingNode() || at.isNull()) {
            return power + " (never read from the BMC)";
        }
        if (n.path("powerAssumed").asBoolean()) {
            return power + " (commanded, not read back; last read " + str(at) + ")";
        }
        // UNKNOWN: the BMC did not answer then, or an operation failed since with power only commanded
        return power + (power.equals("UNKNOWN") ? " (last read " : " (checked ") + str(at) + ")";
    }

    private static String problem(JsonNode p) {
        return str(p.path("file")) + ":" + str(p.path("line")) + " " + str(p.path("path")) + ": "
                + str(p.path("message"));
    }

    /**
     * One line per role with a rollout (what runs, what moves, what failed), plus its planned batches while it
     * rolls: {@code Rollout overcloud/compute: ROLLING os-v2 (rev abc1234) 2/5 updated, batch 2, stable os-v1 ...}.
     */
    private static void printRollout(String role, JsonNode r) {
        if (r.isMissingNode() || r.isNull()) {
            return;
        }
        StringBuilder line = new StringBuilder("Rollout " + role + ": " + str(r.path("phase")));
        if (!r.path("phase").asText().equals("STABLE")) {
            line.append(" to ").append(text(r.path("targetImage"))).append(" (revision ")
                    .append(RevisionTracker.shortId(str(r.path("targetRevision")))).append("), ")
                    .append(r.path("updated").size()).append(" updated, batch ").append(r.path("batch").asInt())
                    .append(", available ").append(r.path("available").asInt()).append(" (at least ")
                    .append(r.path("minAvailable").asInt()).append(")");
        }
        line.append("; stable ").append(text(r.path("stableImage"))).append(" (revision ")
                .append(r.path("stableRevision").isNull() ? "none" : RevisionTracker.shortId(str(r.path("stableRevision"))))
                .append(")");
        if (!r.path("failedRevision").isNull() && !r.path("failedRevision").isMissingNode()) {
            line.append("; FAILED revision ").append(RevisionTracker.shortId(str(r.path("failedRevision"))))
                    .append(" (").append(text(r.path("failedImage"))).append("): ").append(str(r.path("failedReason")));
        }
        if (!r.path("waiting").isNull() && !r.path("waiting").isMissingNode()) {
            line.append("; ").append(str(r.path("waiting")));
        }
        System.out.println(line);
        if (r.path("batches").size() > 0) {
            System.out.println("  planned batches: " + r.path("batches"));
        }
    }

    private static String text(JsonNode n) {
        return n.isMissingNode() || n.isNull() ? "-" : str(n);
    }

    /** The image on the node, marked when it was adopted and not yet proven by the running OS. */
    static String image(JsonNode n) {
        return text(n.path("image")) + (unverified(n) ? " (unverified)" : "");
    }

    private static boolean unverified(JsonNode n) {
        return n.path("imageVerified").isBoolean() && !n.path("imageVerified").asBoolean();
    }

    /** A value from the server: most come from outside (Git, agents, image servers), so made {@link Printable}. */
    private static String str(JsonNode n) {
        return Printable.of(n.asText());
    }

    static String seconds(long millis) {
        return millis <= 0 ? "-" : String.format("%.1fs", millis / 1000.0);
    }
}

package dev.plinth.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.revision.RevisionTracker;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show the revision in force, rejected revisions and every node, from a running controller.")
final class StatusCommand implements Callable<Integer> {
    @Option(names = "--server", defaultValue = "http://127.0.0.1:8080", description = "Controller API (default: ${DEFAULT-VALUE}).")
    String server;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "The controller's API token (its --api-token-file), for an API that is not on loopback.")
    java.nio.file.Path tokenFile;

    @Parameters(arity = "0..1", paramLabel = "NODE", description = "Show one node in detail, with its history.")
    String node;

    @Override
    public Integer call() throws Exception {
        ApiClient api = new ApiClient(server, tokenFile);
        if (node != null) {
            return showNode(api.get("/api/v1/nodes/" + node));
        }
        JsonNode summary = api.get("/api/v1/status");
        JsonNode inForce = summary.path("inForce");
        if (inForce.isMissingNode() || inForce.isNull()) {
            System.out.println("Revision in force: none yet");
        } else {
            System.out.printf("Revision in force: %s  %s  (applied %s)%n", RevisionTracker.shortId(inForce.path("revision").asText()),
                    inForce.path("description").asText(), inForce.path("appliedAt").asText());
        }
        JsonNode revisions = api.get("/api/v1/revisions");
        for (JsonNode r : revisions.path("rejected")) {
            System.out.printf("Rejected: %s  %s  (%d problem(s); first: %s)%n", RevisionTracker.shortId(r.path("revision").asText()),
                    r.path("description").asText(), r.path("problems").size(), problem(r.path("problems").path(0)));
        }
        JsonNode source = summary.path("source");
        if (source.isObject()) {
            System.out.printf("Git: last fetch %s%s%n", text(source.path("lastFetch")),
                    source.path("lastError").isNull() || source.path("lastError").isMissingNode() ? ", ok"
                            : ", FAILED: " + source.path("lastError").asText());
        }
        for (JsonNode image : api.get("/api/v1/images")) {
            if (!image.path("availability").asText().equals("READY")) {
                System.out.printf("Image %s: %s %s (used by %s)%n", image.path("name").asText(),
                        image.path("availability").asText(), image.path("message").asText(), image.path("usedBy"));
            }
        }
        for (JsonNode cloud : api.get("/api/v1/clouds")) {
            for (JsonNode role : cloud.path("roles")) {
                // only roles that need attention: too few members, or nodes no role can claim
                if (role.path("shortfall").asInt() > 0 || role.path("ambiguous").size() > 0) {
                    System.out.printf("Role %s/%s: %d of %d nodes selected%s%n", cloud.path("name").asText(),
                            role.path("name").asText(), role.path("selected").asInt(), role.path("count").asInt(),
                            role.path("ambiguous").size() > 0
                                    ? "; also selected by another role, so in neither: " + role.path("ambiguous")
                                    : "");
                }
            }
        }
        System.out.printf("Nodes: %s  converged: %s%n%n", summary.path("nodesByState"), summary.path("converged"));
        Table t = new Table("NAME", "STATE", "STEP", "POWER", "IMAGE", "WANTS", "LAST OP", "MESSAGE");
        for (JsonNode n : api.get("/api/v1/nodes")) {
            String message = n.path("error").isObject()
                    ? n.path("error").path("kind").asText() + ": " + n.path("error").path("message").asText()
                    : n.path("message").asText();
            t.row(n.path("name").asText(), n.path("state").asText(), text(n.path("step")), n.path("power").asText(),
                    text(n.path("image")), text(n.path("desiredImage")),
                    seconds(n.path("lastOperationMillis").asLong()), message);
        }
        t.print(System.out);
        return 0;
    }

    private static int showNode(JsonNode n) {
        System.out.printf("%s: %s%s, power %s, boot %s%n", n.path("name").asText(), n.path("state").asText(),
                n.path("step").isNull() ? "" : "/" + n.path("step").asText(), n.path("power").asText(),
                text(n.path("bootDevice")));
        System.out.printf("image: %s  (Git wants %s)%n", text(n.path("image")), text(n.path("desiredImage")));
        if (n.path("error").isObject()) {
            System.out.printf("error: %s %s (failures in a row: %s, retry at %s)%n", n.path("error").path("kind").asText(),
                    n.path("error").path("message").asText(), n.path("error").path("count").asText(),
                    n.path("error").path("retryAt").asText());
        }
        if (!n.path("message").asText().isEmpty()) {
            System.out.println("message: " + n.path("message").asText());
        }
        System.out.println("step timings of the last operation:");
        n.path("stepMillis").fields().forEachRemaining(e ->
                System.out.printf("  %-20s %s%n", e.getKey(), seconds(e.getValue().asLong())));
        if (n.path("deployPhaseMillis").size() > 0) {
            System.out.println("inside the deploy ramdisk:");
            n.path("deployPhaseMillis").fields().forEachRemaining(e ->
                    System.out.printf("  %-20s %s%n", e.getKey(), seconds(e.getValue().asLong())));
        }
        System.out.println("history:");
        for (JsonNode e : n.path("events")) {
            System.out.printf("  %s  %-7s %s%n", e.path("at").asText(), e.path("type").asText(),
                    e.path("message").asText());
        }
        return 0;
    }

    private static String problem(JsonNode p) {
        return p.path("file").asText() + ":" + p.path("line").asText() + " " + p.path("path").asText() + ": "
                + p.path("message").asText();
    }

    private static String text(JsonNode n) {
        return n.isMissingNode() || n.isNull() ? "-" : n.asText();
    }

    static String seconds(long millis) {
        return millis <= 0 ? "-" : String.format("%.1fs", millis / 1000.0);
    }
}

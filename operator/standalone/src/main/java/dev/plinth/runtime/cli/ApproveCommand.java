package dev.plinth.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.revision.RevisionTracker;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Puts the revision that a running controller holds for approval in force. */
@Command(name = "approve", mixinStandardHelpOptions = true,
        description = "Apply the revision held because it would deprovision or power off many machines at once"
                + " (`plinth status` names it and the machines).")
final class ApproveCommand implements Callable<Integer> {
    @Mixin
    ApiOptions controller;

    @Parameters(arity = "1", paramLabel = "REVISION",
            description = "The held commit: its full id or a prefix of at least 7 characters.")
    String revision;

    @Override
    public Integer call() throws Exception {
        ApiClient api = controller.client();
        JsonNode r = api.post("/api/v1/revisions/" + URLEncoder.encode(revision, StandardCharsets.UTF_8) + "/approve");
        System.out.println("approved: " + RevisionTracker.shortId(r.path("approved").asText()) + " is in force");
        return 0;
    }
}

package dev.plinth.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.core.Printable;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Asks a running controller to inspect a node on demand: its BMC's inventory read again. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Read the node's inventory from its BMC again (Redfish: model, serial, CPUs, memory, NICs,"
                + " disks); `plinth status NODE` shows it. A running machine is not disturbed.")
final class InspectCommand implements Callable<Integer> {
    @Option(names = "--server", defaultValue = "http://127.0.0.1:8080", description = "Controller API (default: ${DEFAULT-VALUE}).")
    String server;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "The controller's API token (its --api-token-file), for an API that is not on loopback.")
    java.nio.file.Path tokenFile;

    @Parameters(arity = "1", paramLabel = "NODE", description = "The node's name.")
    String node;

    @Override
    public Integer call() throws Exception {
        ApiClient api = new ApiClient(server, tokenFile);
        JsonNode r = api.post("/api/v1/nodes/" + URLEncoder.encode(node, StandardCharsets.UTF_8) + "/inspect");
        System.out.println(Printable.of(r.path("message").asText()));
        return 0;
    }
}

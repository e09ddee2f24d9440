package dev.plinth.runtime.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Where a command reaches a running controller's API: the options every such command takes (a picocli mixin). */
final class ApiOptions {
    @Option(names = "--server", defaultValue = "http://127.0.0.1:8080", description = "Controller API (default: ${DEFAULT-VALUE}).")
    String server;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "The controller's API token (its --api-token-file), for an API that is not on loopback.")
    Path tokenFile;

    ApiClient client() {
        return new ApiClient(server, tokenFile);
    }
}

package dev.plinth.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.core.Printable;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Asks a running controller to inspect a node on demand: an available node boots the deploy ramdisk to report its
 * hardware; its BMC's inventory is read again in any case.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Inspect the node: an AVAILABLE node with no image to run boots the deploy ramdisk, which reports"
                + " its CPUs, memory, disks, NICs and firmware and powers off, writing nothing; its BMC's inventory"
                + " is read again (Redfish: model, serial, CPUs, memory, NICs, disks). `plinth status NODE` shows"
                + " both. A PROVISIONED or busy node is refused the boot (exit 1): a running machine is not"
                + " disturbed; its BMC is read all the same.")
final class InspectCommand implements Callable<Integer> {
    @Mixin
    ApiOptions controller;

    @Parameters(arity = "1", paramLabel = "NODE", description = "The node's name.")
    String node;

    @Override
    public Integer call() throws Exception {
        ApiClient api = controller.client();
        JsonNode r = api.post("/api/v1/nodes/" + URLEncoder.encode(node, StandardCharsets.UTF_8) + "/inspect");
        System.out.println(Printable.of(r.path("message").asText()));
        return 0;
    }
}

package dev.plinth.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.plinth.testkit.SushyFixture;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

/**
 * A Redfish BMC in front of real QEMU machines: testkit's sushy-emulator fixture with its libvirt driver (the venv of
 * scripts/sushy-tools.sh, Debian's python3-libvirt), limited to the given libvirt domains, inserted media kept in
 * libvirt.sh's storage pool; plus reads of what it serves, with its credentials, to check the machine's state.
 */
final class LibvirtBmc implements AutoCloseable {
    static final String USER = SushyFixture.USER;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SushyFixture bmc;
    // HTTP/1.1 only: the emulator (werkzeug) mishandles the JDK's h2c upgrade
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private LibvirtBmc(SushyFixture bmc) {
        this.bmc = bmc;
    }

    static LibvirtBmc start(List<String> systemUuids) throws Exception {
        return new LibvirtBmc(SushyFixture.startLibvirt(LibvirtLab.URI, LibvirtLab.POOL, systemUuids));
    }

    /** {@code redfish+http://127.0.0.1:PORT/redfish/v1/Systems/UUID}. */
    String address(String uuid) {
        return bmc.address(uuid);
    }

    String password() {
        return bmc.password();
    }

    /** A resource as this BMC serves it, read with its credentials (not through the driver under test). */
    JsonNode get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(bmc.baseUrl() + path))
                .header("Authorization", "Basic " + Base64.getEncoder().encodeToString(
                        (USER + ":" + bmc.password()).getBytes(StandardCharsets.UTF_8)))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IOException("GET " + path + ": " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    String log() {
        return bmc.log();
    }

    /** Stops the emulator by its own process handle and removes its directory. */
    @Override
    public void close() throws InterruptedException {
        bmc.close();
    }
}

package dev.plinth.runtime.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.plinth.core.LifecycleConfig;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.engine.NodeListener;
import dev.plinth.runtime.Standalone;
import dev.plinth.runtime.StandaloneOptions;
import dev.plinth.testkit.GitDaemonFixture;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code plinth status} against a real controller (FAKE machines) following a real Git server. */
class StatusCommandTest {
    private static final String FLEET = """
            apiVersion: plinth.dev/v1alpha1
            kind: DiskImage
            metadata: {name: centos}
            spec: {url: "http://images.example/c.raw", checksum: "sha256:%s"}
            ---
            apiVersion: plinth.dev/v1alpha1
            kind: BareMetalNode
            metadata: {name: node-0}
            spec:
              bmc: {address: "ipmi://10.0.0.1", credentialsName: bmc-0}
              bootMACAddress: "52:54:00:00:00:01"
              image: {name: centos}
            """.formatted("a".repeat(64));

    @TempDir Path dir;
    private GitDaemonFixture git;
    private Standalone plinth;

    @AfterEach
    void stop() {
        if (plinth != null) plinth.close();
        if (git != null) git.close();
    }

    private static String status(String server) {
        PrintStream out = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
            assertThat(Main.execute("status", "--server", server)).isZero();
        } finally {
            System.setOut(out);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void textFromGitCannotSplitOrRewriteALineOfStatus() throws Exception {
        git = GitDaemonFixture.start();
        // a commit message with a carriage return and a terminal escape, then a revision whose problem quotes a
        // YAML string with a line break in it
        String good = git.commit(Map.of("fleet/all.yaml", FLEET), "one node\r\u001b[2JRevision in force: forged");
        Files.writeString(dir.resolve("secrets.yaml"), "bmc-0: {username: admin, password: pw}\n");
        Files.setPosixFilePermissions(dir.resolve("secrets.yaml"), // a looser one is refused
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        plinth = new Standalone(new StandaloneOptions(git.url(), "main", "fleet", Duration.ofHours(1),
                dir.resolve("state"), dir.resolve("secrets.yaml"), "fake",
                FakeDriverConfig.of(Duration.ofMillis(5), Duration.ofMillis(50), Duration.ofMillis(20)), false,
                dev.plinth.runtime.http.HttpOptions.loopback(), 2, null, false, LifecycleConfig.DEFAULT, null),
                NodeListener.NONE);
        String server = "http://127.0.0.1:" + plinth.apiPort();
        await().atMost(Duration.ofSeconds(30)).until(() -> status(server).contains(good.substring(0, 12)));

        String bad = git.commit(Map.of("fleet/all.yaml", FLEET.replace("kind: DiskImage",
                "kind: \"DiskImage\\nNodes: {PROVISIONED=99}  converged: true\"")), "typo");
        HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(server + "/api/v1/webhook/git"))
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.discarding());
        await().atMost(Duration.ofSeconds(30)).until(() -> status(server).contains("Rejected: " + bad.substring(0, 12)));

        String out = status(server);
        List<String> lines = Arrays.asList(out.split("\n", -1));
        assertThat(lines).filteredOn(l -> l.startsWith("Revision in force:")).singleElement().asString()
                .contains("one node\\r\\u001b[2JRevision in force: forged");
        assertThat(lines).filteredOn(l -> l.startsWith("Nodes:")).singleElement().asString()
                .doesNotContain("PROVISIONED=99");
        assertThat(lines).filteredOn(l -> l.startsWith("Rejected:")).singleElement().asString()
                .contains("unknown kind \"DiskImage\\nNodes: {PROVISIONED=99}  converged: true\"");
        assertThat(out.replace("\n", "").chars().filter(Character::isISOControl).count()).as(out).isZero();
    }

    @Test
    void aNodesInventoryIsShownLineByLineWithItsTextMadePrintable() throws Exception {
        String json = """
                {"name": "vm1", "inventory": {"deployId": "vm1-1-abc", "at": "2026-12-02T04:00:00Z", "cpus": 1,
                 "cpuModel": "QEMU Virtual CPU\\nforged", "memoryBytes": 503316480, "firmware": "bios",
                 "disks": [{"name": "vda", "sizeBytes": 2147483648, "model": "", "vendor": "0x1af4",
                            "serial": "plinth-vm1-disk", "wwn": "", "rotational": false, "removable": false,
                            "readOnly": false},
                           {"name": "sr0x", "sizeBytes": 1, "model": "M", "vendor": "V", "serial": "", "wwn": "",
                            "rotational": null, "removable": true, "readOnly": true}],
                 "nics": [{"name": "eth0", "mac": "52:54:00:6c:ab:01", "link": "up", "speedMbps": null},
                          {"name": "eth1", "mac": "52:54:00:6c:ab:02", "link": "down", "speedMbps": 1000}]}}
                """;
        assertThat(StatusCommand.inventory(dev.plinth.json.Json.MAPPER.readTree(json))).containsExactly(
                "inventory (reported by the deploy ramdisk of vm1-1-abc at 2026-12-02T04:00:00Z):",
                "  1 CPU(s) QEMU Virtual CPU\\nforged, 480 MiB memory, firmware bios",
                "  disk vda      2147483648 bytes  model= vendor=0x1af4 serial=plinth-vm1-disk wwn= rotational=false",
                "  disk sr0x     1 bytes  model=M vendor=V serial= wwn= rotational=- removable read-only",
                "  nic  eth0     52:54:00:6c:ab:01  link up",
                "  nic  eth1     52:54:00:6c:ab:02  link down 1000 Mb/s");
        assertThat(StatusCommand.inventory(dev.plinth.json.Json.MAPPER.readTree("{\"name\": \"vm1\"}"))).isEmpty();
    }

    @Test
    void theBmcsInventoryIsShownWithWhatItDidNotServe() throws Exception {
        String json = """
                {"name": "rf1", "inventory": {"bmc": {"at": "2026-12-02T04:00:00Z", "manufacturer": "Dell Inc.",
                 "model": "PowerEdge R650", "serialNumber": "7XK2P93", "bootMode": "UEFI", "cpus": 2,
                 "cpuModel": "Xeon Gold", "memoryBytes": 274877906944,
                 "processors": [{"name": "CPU.Socket.1", "model": "Xeon Gold", "cores": 28, "threads": 56}],
                 "memory": [{"name": "DIMM.A1", "sizeBytes": 34359738368}],
                 "nics": [{"name": "NIC.1", "mac": "b0:7b:25:00:00:01", "speedMbps": 25000}],
                 "disks": [{"name": "Disk.Bay.0", "sizeBytes": 960197124096, "model": "MZ7L3960", "serial": null}],
                 "unavailable": ["Storage/RAID.1/Drives/Disk.Bay.9: HTTP 500\\u001b[2J"]}}}
                """;
        assertThat(StatusCommand.inventory(dev.plinth.json.Json.MAPPER.readTree(json))).containsExactly(
                "inventory (read from the BMC at 2026-12-02T04:00:00Z):",
                "  Dell Inc., PowerEdge R650, serial 7XK2P93, boot mode UEFI",
                "  2 CPU(s) Xeon Gold, 262144 MiB memory",
                "  cpu  CPU.Socket.1 Xeon Gold  cores=28 threads=56",
                "  dimm DIMM.A1      32768 MiB",
                "  disk Disk.Bay.0   960197124096 bytes  model=MZ7L3960 serial=-",
                "  nic  NIC.1        b0:7b:25:00:00:01 25000 Mb/s",
                "  not read: Storage/RAID.1/Drives/Disk.Bay.9: HTTP 500\\u001b[2J");
    }

    @Test
    void aTableCellWithALineBreakStaysOnItsRow() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        new Table("NAME", "MESSAGE").row("node-0", "disk gone\nnode-9  PROVISIONED").row("node-1", "ok\t\u001b[1A")
                .print(new PrintStream(buf, true, StandardCharsets.UTF_8));

        assertThat(buf.toString(StandardCharsets.UTF_8)).isEqualTo("""
                NAME    MESSAGE
                node-0  disk gone\\nnode-9  PROVISIONED
                node-1  ok\\t\\u001b[1A
                """);
    }
}

package dev.plinth.driver.redfish;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.BmcSpec;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.BmcInventory;
import dev.plinth.driver.NodeTarget;
import dev.plinth.testkit.SushyFixture;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The driver's inventory against sushy-emulator's fake system driver, behind plinth_bmc.py's sessions, cross-checked
 * with the sushy client library. What the fake driver serves (sushy-tools 2.2.0): Manufacturer, the boot mode and
 * EthernetInterfaces; Storage with Drives only where the emulator's config gives a system some (else the linked
 * collection answers 500); Memory linked but 404; no Processors link (501); no Model, SerialNumber, BiosVersion, nor
 * counts in ProcessorSummary and MemorySummary. So one system here has two configured drives, the other none.
 */
class RedfishInventoryIntegrationTest {
    private static SushyFixture bmc;
    private static RedfishPowerDriver driver;

    @BeforeAll
    static void start() throws Exception {
        bmc = SushyFixture.start(SushyFixture.Options.plain().withBmcExtras(), List.of(
                "SUSHY_EMULATOR_STORAGE = {'" + SushyFixture.SYSTEM_1 + "': [{'Id': '1', 'Name': 'Local Storage',"
                        + " 'StorageControllers': [{'MemberId': '0', 'Name': 'Ctl', 'SpeedGbps': 12}],"
                        + " 'Drives': ['d0', 'd1']}]}",
                "SUSHY_EMULATOR_DRIVES = {('" + SushyFixture.SYSTEM_1 + "', '1'): ["
                        + "{'Id': 'd0', 'Name': 'Drive 0', 'CapacityBytes': 480103981056, 'Protocol': 'SATA'},"
                        + " {'Id': 'd1', 'Name': 'Drive 1', 'CapacityBytes': 1920383410176, 'Protocol': 'SAS'}]}"));
        driver = new RedfishPowerDriver(RedfishClientConfig.defaults().withMinInterval(Duration.ZERO),
                Tls.jdkDefault());
    }

    @AfterAll
    static void stop() throws Exception {
        if (driver != null) {
            driver.close();
        }
        if (bmc != null) {
            bmc.close();
        }
    }

    private static NodeTarget node(String system) {
        return new NodeTarget("node-1", BmcSpec.of(bmc.address(system), "bmc-secret", false),
                new BmcCredentials(SushyFixture.USER, bmc.password()), "52:54:00:00:00:01");
    }

    @Test
    void readsWhatTheEmulatorServesAndNotesWhatItDoesNot() throws Exception {
        long t0 = System.nanoTime();
        BmcInventory inv = driver.inventory(node(SushyFixture.SYSTEM_1)).orElseThrow();
        long millis = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("inventory of " + SushyFixture.SYSTEM_1 + " in " + millis + " ms: " + inv);

        assertThat(inv.manufacturer()).isEqualTo("Sushy Emulator");
        assertThat(inv.bootMode()).isEqualTo("UEFI");
        assertThat(inv.model()).isNull();
        assertThat(inv.serialNumber()).isNull();
        assertThat(inv.cpus()).isNull();
        assertThat(inv.memoryBytes()).isNull();
        assertThat(inv.nics()).containsExactly(new BmcInventory.Nic("52:54:00:00:00:01", "52:54:00:00:00:01", null));
        assertThat(inv.disks()).containsExactly(
                new BmcInventory.Disk("d0", 480103981056L, "C123", "1234570"),
                new BmcInventory.Disk("d1", 1920383410176L, "C123", "1234570"));
        assertThat(inv.processors()).isEmpty();
        assertThat(inv.memory()).isEmpty();
        assertThat(inv.unavailable()).hasSize(2);
        assertThat(inv.unavailable().get(0)).isEqualTo("Processors: not offered");
        assertThat(inv.unavailable().get(1)).startsWith("Memory: HTTP 404");

        // the sushy client reads the same
        String sushy = bmc.sushy(String.join("\n",
                "s = conn.get_system('/redfish/v1/Systems/" + SushyFixture.SYSTEM_1 + "')",
                "print(s.manufacturer, s.boot.mode.value if hasattr(s.boot.mode, 'value') else s.boot.mode)",
                "print(*sorted(s.ethernet_interfaces.summary))",
                "print(*[(d.identity, d.capacity_bytes, d.model, d.serial_number) for st in s.storage.get_members()"
                        + " for d in st.drives])"));
        System.out.println("sushy client: " + sushy.replace('\n', '|'));
        String[] lines = sushy.split("\n");
        assertThat(lines[0].toLowerCase()).isEqualTo("sushy emulator " + inv.bootMode().toLowerCase());
        assertThat(lines[1]).isEqualTo(inv.nics().get(0).mac());
        assertThat(lines[2]).isEqualTo(inv.disks().stream().map(d -> "('" + d.name() + "', " + d.sizeBytes() + ", '"
                + d.model() + "', '" + d.serial() + "')").reduce((a, b) -> a + " " + b).orElse(""));
    }

    @Test
    void aSystemWhoseStorageTheEmulatorCannotServeStillGivesTheRest() throws Exception {
        BmcInventory inv = driver.inventory(node(SushyFixture.SYSTEM_2)).orElseThrow();
        System.out.println("inventory of " + SushyFixture.SYSTEM_2 + ": " + inv);
        assertThat(inv.nics()).extracting(BmcInventory.Nic::mac).containsExactly("52:54:00:00:00:02");
        assertThat(inv.disks()).isEmpty();
        assertThat(inv.unavailable()).anySatisfy(u -> assertThat(u).startsWith("Storage: HTTP 500")
                .contains("Error finding storage collection"));
    }

    @Test
    void aReadGoesThroughTheBmcsOneSession() throws Exception {
        Map<String, Integer> before = bmc.stats();
        for (int i = 0; i < 3; i++) {
            driver.inventory(node(SushyFixture.SYSTEM_1));
        }
        Map<String, Integer> after = bmc.stats();
        System.out.println("BMC counts before " + before + ", after three reads " + after);
        assertThat(after.get("tokenRequests") - before.get("tokenRequests")).as("every request on the session")
                .isGreaterThanOrEqualTo(3 * 6);
        assertThat(after.get("basicRequests")).isEqualTo(before.get("basicRequests"));
        assertThat(after.get("sessionsCreated")).as("at most the one session").isLessThanOrEqualTo(1);
    }
}

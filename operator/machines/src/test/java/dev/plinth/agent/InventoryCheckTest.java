package dev.plinth.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.RootDeviceHints;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The controller's rules for root device hints and the boot MAC against an inventory (as the agent's). */
class InventoryCheckTest {
    private static final Inventory.Disk SDA = new Inventory.Disk("sda", 4L << 30, "ST4000", "ATA     ", "S1",
            "naa.5000c500a1b2c3d4", true, false, false);
    private static final Inventory.Disk SDB = new Inventory.Disk("sdb", 8L << 30, "ST4000", "ATA", "S2",
            "naa.5000c500ffffffff", false, false, false);
    private static final Inventory.Disk USB = new Inventory.Disk("sdc", 16L << 30, "Stick", "ATA", "S3", "", false,
            true, false);
    private static final Inventory.Disk RO = new Inventory.Disk("sdd", 16L << 30, "Rom", "ATA", "S4", "", false,
            false, true);
    private static final Inventory INV = new Inventory("d1", Instant.EPOCH, 4, "cpu", 1L << 30, "bios",
            List.of(SDB, USB, SDA, RO), List.of(new Inventory.Nic("eth0", "52:54:00:aa:bb:01", "up", 1000)));

    private static RootDeviceHints hints(String name, String model, String vendor, String serial, String wwn,
            Integer min, Boolean rot) {
        return new RootDeviceHints(name, model, vendor, serial, wwn, min, rot);
    }

    @Test
    void eachHintSinglesOutADiskAsTheAgentDoes() {
        assertThat(InventoryCheck.resolve(hints("/dev/sdb", null, null, null, null, null, null), INV).disk())
                .isEqualTo(SDB);
        assertThat(InventoryCheck.resolve(hints("sdb", null, null, null, null, null, null), INV).disk())
                .isEqualTo(SDB);
        assertThat(InventoryCheck.resolve(hints(null, null, null, null, null, 5, null), INV).disk()).isEqualTo(SDB);
        assertThat(InventoryCheck.resolve(hints(null, null, null, "s1", null, null, null), INV).disk())
                .isEqualTo(SDA);
        // the wwn hint's hex part, 0x or not, found in sysfs wwid
        assertThat(InventoryCheck.resolve(hints(null, null, null, null, "0x5000C500A1B2C3D4", null, null), INV)
                .disk()).isEqualTo(SDA);
        assertThat(InventoryCheck.resolve(hints(null, null, null, null, null, null, true), INV).disk())
                .isEqualTo(SDA);
        assertThat(InventoryCheck.resolve(hints(null, "st4000", "ata", null, null, null, false), INV).disk())
                .isEqualTo(SDB);
        // no hints: the first eligible disk in name order (removable and read-only ones never are)
        assertThat(InventoryCheck.resolve(RootDeviceHints.NONE, INV).disk()).isEqualTo(SDA);
    }

    @Test
    void noneOrSeveralIsAProblemNamingTheHintsAndTheCandidates() {
        InventoryCheck.Resolution none = InventoryCheck.resolve(hints("/dev/sdc", null, null, null, null, null,
                null), INV);
        assertThat(none.disk()).isNull();
        assertThat(none.problem()).isEqualTo("no disk matches the root device hints (deviceName=/dev/sdc);"
                + " candidates: sda (4294967296 bytes, model=ST4000 vendor=ATA      serial=S1"
                + " wwn=naa.5000c500a1b2c3d4 rotational=true), sdb (8589934592 bytes, model=ST4000 vendor=ATA"
                + " serial=S2 wwn=naa.5000c500ffffffff rotational=false)");
        InventoryCheck.Resolution several = InventoryCheck.resolve(hints(null, "ST4000", null, null, null, null,
                null), INV);
        assertThat(several.disk()).isNull();
        assertThat(several.problem()).startsWith("several disks match the root device hints (model=ST4000):"
                + " sda, sdb; candidates: sda (");
        Inventory noDisks = new Inventory("d1", Instant.EPOCH, 1, "", 0, "uefi", List.of(USB), List.of());
        assertThat(InventoryCheck.resolve(RootDeviceHints.NONE, noDisks).problem())
                .isEqualTo("no disk matches the root device hints (none); candidates: none");
    }

    @Test
    void theBootMacMustBeOneOfTheNics() {
        assertThat(InventoryCheck.bootMacProblem("52:54:00:AA:BB:01", INV)).isNull();
        assertThat(InventoryCheck.bootMacProblem(null, INV)).isNull();
        assertThat(InventoryCheck.bootMacProblem("52:54:00:aa:bb:02", INV)).isEqualTo("boot MAC 52:54:00:aa:bb:02"
                + " (Git) is not among the machine's NICs: eth0 52:54:00:aa:bb:01");
    }
}

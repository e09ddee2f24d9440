package dev.plinth.driver.fake;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.BmcSpec;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.NodeTarget;
import dev.plinth.driver.NodeWaker;
import dev.plinth.driver.PowerState;
import dev.plinth.json.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The persisted FAKE machines: one file per machine, written when that machine changes, never by a read. */
class FakeDriverPersistenceTest {
    private static final FakeDriverConfig CONFIG = FakeDriverConfig.of(Duration.ZERO, Duration.ofSeconds(30),
            Duration.ofSeconds(30));
    @TempDir
    Path dir;

    private static NodeTarget node(String name) {
        return new NodeTarget(name, BmcSpec.of("ipmi://10.0.0." + name.length() + ":623", "bmc", false),
                new BmcCredentials("admin", "pw"), "52:54:00:00:00:01");
    }

    @Test
    void eachMachineHasItsOwnFileWrittenOnlyWhenItChanges() throws Exception {
        try (FakeDriver fake = new FakeDriver(CONFIG, dir, NodeWaker.NONE, Clock.systemUTC())) {
            fake.powerOn(node("a"));
            fake.setBootDevice(node("bb"), BootDevice.PXE, false);
            Path a = dir.resolve("machines/a.json");
            assertThat(a).exists();
            assertThat(dir.resolve("machines/bb.json")).exists();
            Files.setLastModifiedTime(a, FileTime.fromMillis(0));
            for (int i = 0; i < 50; i++) {
                assertThat(fake.powerState(node("a"))).isEqualTo(PowerState.ON);
                assertThat(fake.bootDevice(node("a"))).contains(BootDevice.DISK);
                assertThat(fake.checkedIn(node("a"), "none")).isFalse();
            }
            assertThat(Files.getLastModifiedTime(a).toMillis()).as("reads wrote the file").isZero();
            fake.powerOff(node("a"));
            assertThat(Files.getLastModifiedTime(a).toMillis()).as("a change is saved").isPositive();
        }
        // a restarted driver finds both machines as they were
        try (FakeDriver again = new FakeDriver(CONFIG, dir, NodeWaker.NONE, Clock.systemUTC())) {
            assertThat(again.machine("a").orElseThrow().power).isEqualTo(PowerState.OFF);
            assertThat(again.machine("bb").orElseThrow().bootDevice).isEqualTo(BootDevice.PXE);
            assertThat(again.journal()).filteredOn(l -> l.contains(" a power.")).hasSize(2);
        }
        assertThat(FakeDriver.readMachines(dir)).containsOnlyKeys("a", "bb");
    }

    @Test
    void theOneFileOfEarlierVersionsIsReadAndReplaced() throws Exception {
        FakeMachine old = new FakeMachine();
        old.power = PowerState.ON;
        old.diskImage = "centos";
        Files.writeString(dir.resolve("machines.json"), Json.write(Map.of("n1", old)));
        try (FakeDriver fake = new FakeDriver(CONFIG, dir, NodeWaker.NONE, Clock.systemUTC())) {
            assertThat(fake.machine("n1").orElseThrow().diskImage).isEqualTo("centos");
        }
        assertThat(dir.resolve("machines.json")).doesNotExist();
        assertThat(FakeDriver.readMachines(dir).get("n1").power).isEqualTo(PowerState.ON);
    }
}

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
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The persisted FAKE machines: one log line per change of a machine, none for a read; they survive a restart. */
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
    void aChangeIsSavedAndAReadWritesNothing() throws Exception {
        Path log = dir.resolve(MachineLog.LOG);
        try (FakeDriver fake = new FakeDriver(CONFIG, dir, NodeWaker.NONE, Clock.systemUTC())) {
            fake.powerOn(node("a"));
            fake.setBootDevice(node("bb"), BootDevice.PXE, false);
            long size = Files.size(log);
            assertThat(size).isPositive();
            for (int i = 0; i < 50; i++) {
                assertThat(fake.powerState(node("a"))).isEqualTo(PowerState.ON);
                assertThat(fake.bootDevice(node("a"))).contains(BootDevice.DISK);
                assertThat(fake.checkedIn(node("a"), "none")).isFalse();
            }
            assertThat(Files.size(log)).as("reads wrote to the log").isEqualTo(size);
            fake.powerOff(node("a"));
            assertThat(Files.size(log)).as("a change is saved").isGreaterThan(size);
            // read back while the driver runs, as a test of a killed controller does: no close needed
            assertThat(FakeDriver.readMachines(dir).get("a").power).isEqualTo(PowerState.OFF);
        }
        // a restarted driver finds both machines as they were, history included
        try (FakeDriver again = new FakeDriver(CONFIG, dir, NodeWaker.NONE, Clock.systemUTC())) {
            assertThat(again.machine("a").orElseThrow().power).isEqualTo(PowerState.OFF);
            assertThat(again.machine("bb").orElseThrow().bootDevice).isEqualTo(BootDevice.PXE);
            assertThat(again.journal()).filteredOn(l -> l.contains(" a power.")).hasSize(2);
        }
        assertThat(FakeDriver.readMachines(dir)).containsOnlyKeys("a", "bb");
        assertThat(Files.readAllLines(log)).as("compacted when opened: one line per machine").hasSize(2);
    }

    @Test
    void aDriverNeverClosedLeavesItsMachinesForTheNext() throws Exception {
        FakeDriver killed = new FakeDriver(CONFIG, dir, NodeWaker.NONE, Clock.systemUTC());
        killed.powerOn(node("a"));
        killed.setBootDevice(node("a"), BootDevice.PXE, false);
        // no close(): what a SIGKILL leaves is what was written, line by line
        try (FakeDriver again = new FakeDriver(CONFIG, dir, NodeWaker.NONE, Clock.systemUTC())) {
            assertThat(again.machine("a").orElseThrow().power).isEqualTo(PowerState.ON);
            assertThat(again.machine("a").orElseThrow().bootDevice).isEqualTo(BootDevice.PXE);
        }
    }

    @Test
    void aLastLineCutShortIsSkippedAndTheLineBeforeItStands() throws Exception {
        try (FakeDriver fake = new FakeDriver(CONFIG, dir, NodeWaker.NONE, Clock.systemUTC())) {
            fake.powerOn(node("a"));
        }
        Files.writeString(dir.resolve(MachineLog.LOG), "{\"name\":\"a\",\"machine\":{\"power\":\"OF",
                java.nio.file.StandardOpenOption.APPEND);
        assertThat(FakeDriver.readMachines(dir).get("a").power).isEqualTo(PowerState.ON);
    }

    @Test
    void aLongLogIsCompactedToItsLastLinesWithoutLosingAChange() throws Exception {
        FakeMachine m = new FakeMachine();
        try (MachineLog log = MachineLog.open(dir, 4096)) {
            for (int i = 0; i < 200; i++) {
                m.history.add(i + " step");
                m.runningSince = i;
                log.append(i % 2 == 0 ? "a" : "b", m);
            }
            assertThat(log.size()).as("compacted on the way (200 lines: about 240 KB)").isLessThan(64 * 1024);
        }
        assertThat(MachineLog.read(dir).get("b").runningSince).isEqualTo(199);
        assertThat(MachineLog.read(dir).get("a").runningSince).isEqualTo(198);
    }

    @Test
    void theFilePerMachineOfTheLastVersionIsReadAndFoldedIntoTheLog() throws Exception {
        FakeMachine old = new FakeMachine();
        old.diskImage = "rocky";
        Files.createDirectories(dir.resolve("machines"));
        Files.writeString(dir.resolve("machines/n2.json"), Json.write(old));
        try (FakeDriver fake = new FakeDriver(CONFIG, dir, NodeWaker.NONE, Clock.systemUTC())) {
            assertThat(fake.machine("n2").orElseThrow().diskImage).isEqualTo("rocky");
        }
        assertThat(dir.resolve("machines")).doesNotExist();
        assertThat(FakeDriver.readMachines(dir).get("n2").diskImage).isEqualTo("rocky");
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

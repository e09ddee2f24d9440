package dev.plinth.runtime.status;

import dev.plinth.core.fleet.RoleResolver;


import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.Cloud;
import dev.plinth.api.CloudRole;
import dev.plinth.api.CloudSpec;
import dev.plinth.api.DesiredState;
import dev.plinth.api.HealthCheck;
import dev.plinth.api.LabelSelector;
import dev.plinth.api.ObjectMeta;
import dev.plinth.api.Resource;
import dev.plinth.api.ResourceRef;
import dev.plinth.api.RolloutPolicy;
import dev.plinth.core.ImageRef;
import dev.plinth.core.LifecycleConfig;
import dev.plinth.core.NodeLifecycle;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.PowerState;
import dev.plinth.driver.fake.FakeDriver;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.engine.EngineConfig;
import dev.plinth.engine.NodeController;
import dev.plinth.engine.NodeListener;
import dev.plinth.load.SourceFile;
import dev.plinth.reconcile.ImageCatalog;
import dev.plinth.revision.RevisionTracker;
import dev.plinth.testkit.InMemoryStateStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Status over a real controller, revision tracker and store, with records put in the store beforehand and no
 * workers started, so what status says is not racing the engine.
 */
class StatusServiceTest {
    static final String SUM = "sha256:" + "a".repeat(64);
    static final Instant NOW = Instant.parse("2026-11-25T10:00:00Z");

    private final InMemoryStateStore store = new InMemoryStateStore();
    private final FakeDriver fake = new FakeDriver(FakeDriverConfig.INSTANT, null, name -> {}, Clock.systemUTC());
    private NodeController controller;

    @AfterEach
    void close() {
        if (controller != null) {
            controller.close();
        }
        fake.close();
    }

    private StatusService status(String yaml) {
        controller = new NodeController(new NodeLifecycle(LifecycleConfig.DEFAULT), new Drivers(fake, fake, fake),
                name -> Optional.empty(), ImageCatalog.ALWAYS_READY, store, Clock.systemUTC(),
                new EngineConfig(1, 8, Duration.ofSeconds(1)), NodeListener.NONE);
        RevisionTracker revisions = new RevisionTracker(store,
                new dev.plinth.load.DesiredStateLoader(dev.plinth.runtime.Standalone.bmcSupport("fake")), controller::setDesired, Clock.systemUTC());
        assertThat(revisions.offer("c1", "test", List.of(new SourceFile("fleet.yaml", yaml))).problems()).isEmpty();
        return new StatusService(controller, revisions, store, ImageCatalog.ALWAYS_READY, null);
    }

    private void provisioned(String node, String image) {
        store.saveNode(new NodeRecord.Builder(node).state(ProvisioningState.PROVISIONED)
                .image(new ImageRef(image, SUM)).powerState(PowerState.ON).bootDevice(BootDevice.DISK)
                .checkedAt(NOW).updatedAt(NOW).build(), dev.plinth.store.Versioned.ABSENT);
    }

    @Test
    void aSelectorlessRoleSelectsNoNodeAndTheRoleShowsItsShortfall() {
        provisioned("compute-0", "centos-9");
        provisioned("storage-0", "centos-9");
        StatusService status = status(image("centos-9") + node("compute-0", 1, "compute", null)
                + node("storage-0", 2, "storage", "centos-9") + """
                ---
                apiVersion: plinth.dev/v1alpha1
                kind: Cloud
                metadata: {name: overcloud}
                spec:
                  roles:
                    - name: compute
                      count: 2
                      nodeSelector: {matchLabels: {role: compute}}
                      image: {name: centos-9}
                    - name: spare
                      count: 1
                      image: {name: centos-9}
                """);

        Map<String, StatusService.RoleView> roles = new java.util.HashMap<>();
        status.clouds().get(0).roles().forEach(r -> roles.put(r.name(), r));

        assertThat(roles.get("compute").selected()).isEqualTo(1);
        assertThat(roles.get("compute").shortfall()).isEqualTo(1);
        assertThat(roles.get("compute").nodesByState()).isEqualTo(Map.of("PROVISIONED", 1L));
        assertThat(roles.get("spare").selected()).isZero();
        assertThat(roles.get("spare").shortfall()).isEqualTo(1);
        assertThat(roles.get("spare").nodesByState()).isEmpty();
        assertThat(status.images().get(0).usedBy()).containsExactly("compute-0", "storage-0");
        assertThat(status.converged()).isTrue();
        assertThat(status.nodes()).allSatisfy(n -> assertThat(n.settled()).isTrue());
    }

    @Test
    void anEmptySelectorSelectsNoNodeEvenInAStateTheLoaderDidNotBuild() {
        // The loader refuses `matchLabels: {}`; another host might not. Status once counted every node as selected
        // by such a role while the engine gave none of them its image.
        provisioned("compute-0", "centos-9");
        StatusService status = status(image("centos-9") + node("compute-0", 1, "compute", "centos-9"));
        DesiredState loaded = controller.desired();
        CloudRole empty = new CloudRole("everything", 1, new LabelSelector(Map.of()), new ResourceRef("centos-9"),
                RolloutPolicy.DEFAULT, HealthCheck.DEFAULT);
        List<Resource> resources = new ArrayList<>(loaded.images().values());
        resources.addAll(loaded.nodes().values());
        resources.add(new Cloud(ObjectMeta.named("overcloud"), new CloudSpec(List.of(empty))));
        controller.setDesired(DesiredState.of("c2", resources));

        StatusService.RoleView role = status.clouds().get(0).roles().get(0);

        assertThat(role.selected()).isZero();
        assertThat(role.shortfall()).isEqualTo(1);
        assertThat(role.nodesByState()).isEmpty();
        assertThat(RoleResolver.imageFor(controller.desired(), loaded.nodes().get("compute-0")).orElseThrow().name())
                .isEqualTo("centos-9");
    }

    @Test
    void theSameChecksumUnderAnotherImageNameIsNotConverged() {
        // The disk holds "centos-9"; Git now names the same bytes "centos-9-gold". The lifecycle re-provisions
        // (it compares name and checksum), so status must not call the fleet converged (it compared the checksum).
        provisioned("compute-0", "centos-9");
        StatusService status = status(image("centos-9-gold") + node("compute-0", 1, "compute", "centos-9-gold"));

        assertThat(status.converged()).isFalse();
        NodeView view = status.node("compute-0", 0).orElseThrow();
        assertThat(view.settled()).isFalse();
        assertThat(view.status().image()).isEqualTo("centos-9");
        assertThat(view.desiredImage()).isEqualTo("centos-9-gold");
    }

    /** The demo saw "converged" at once: the tracker had the revision, the engine not yet (and no record at all). */
    @Test
    void aRevisionTheEngineHasNotTakenYetIsNotConverged() {
        controller = new NodeController(new NodeLifecycle(LifecycleConfig.DEFAULT), new Drivers(fake, fake, fake),
                name -> Optional.empty(), ImageCatalog.ALWAYS_READY, store, Clock.systemUTC(),
                new EngineConfig(1, 8, Duration.ofSeconds(1)), NodeListener.NONE);
        RevisionTracker revisions = new RevisionTracker(store,
                new dev.plinth.load.DesiredStateLoader(dev.plinth.runtime.Standalone.bmcSupport("fake")),
                state -> { }, Clock.systemUTC());
        assertThat(revisions.offer("c1", "test", List.of(new SourceFile("fleet.yaml",
                image("centos-9") + node("compute-0", 1, "compute", "centos-9")))).problems()).isEmpty();
        StatusService status = new StatusService(controller, revisions, store, ImageCatalog.ALWAYS_READY, null);

        assertThat(revisions.inForce()).isPresent();
        assertThat(controller.records()).isEmpty();
        assertThat(status.converged()).isFalse();
    }

    @Test
    void aRecordForANodeNoLongerInGitKeepsTheFleetUnconverged() {
        provisioned("compute-0", "centos-9");
        provisioned("gone-0", "centos-9");
        StatusService status = status(image("centos-9") + node("compute-0", 1, "compute", "centos-9"));

        assertThat(status.converged()).isFalse();
        assertThat(status.node("gone-0", 0).orElseThrow().settled()).isFalse();
        assertThat(status.node("compute-0", 0).orElseThrow().settled()).isTrue();
    }

    @Test
    void aNodesDetailShowsItsLatestInventoryAndTheListDoesNot() throws Exception {
        provisioned("compute-0", "centos-9");
        provisioned("compute-1", "centos-9");
        dev.plinth.agent.Inventory inv = new dev.plinth.agent.Inventory("d7", NOW, 2, "Xeon", 1L << 30, "uefi",
                List.of(new dev.plinth.agent.Inventory.Disk("vda", 2L << 30, "", "QEMU", "s1", "", false, false,
                        false)),
                List.of(new dev.plinth.agent.Inventory.Nic("eth0", "52:54:00:00:00:01", "up", 1000)));
        status(image("centos-9") + node("compute-0", 1, "compute", "centos-9")
                + node("compute-1", 2, "compute", "centos-9"));
        RevisionTracker revisions = new RevisionTracker(store, new dev.plinth.load.DesiredStateLoader(
                dev.plinth.runtime.Standalone.bmcSupport("fake")), controller::setDesired, Clock.systemUTC());
        StatusService status = new StatusService(controller, revisions, store, ImageCatalog.ALWAYS_READY, null,
                name -> name.equals("compute-0") ? Optional.of(inv) : Optional.empty());

        assertThat(status.node("compute-0", 0).orElseThrow().inventory().ramdisk()).isEqualTo(inv);
        assertThat(status.node("compute-1", 0).orElseThrow().inventory()).isNull();
        assertThat(status.nodes()).allSatisfy(v -> assertThat(v.inventory()).isNull());
        com.fasterxml.jackson.databind.JsonNode json = dev.plinth.json.Json.MAPPER.readTree(
                dev.plinth.json.Json.write(status.node("compute-0", 0).orElseThrow()));
        assertThat(json.path("inventory").path("disks").path(0).path("sizeBytes").asLong()).isEqualTo(2L << 30);
        assertThat(json.path("inventory").path("nics").path(0).path("mac").asText()).isEqualTo("52:54:00:00:00:01");
        assertThat(dev.plinth.json.Json.MAPPER.readTree(dev.plinth.json.Json.write(
                status.node("compute-1", 0).orElseThrow())).has("inventory")).isFalse();
    }

    @Test
    void theBmcsInventoryIsShownUnderInventoryBmcFromTheStoredRecord() throws Exception {
        dev.plinth.driver.BmcInventory bmc = new dev.plinth.driver.BmcInventory(NOW, "Sushy Emulator", null, null,
                null, "UEFI", null, null, null, null, null,
                List.of(new dev.plinth.driver.BmcInventory.Nic("52:54:00:00:00:01", "52:54:00:00:00:01", null)),
                List.of(new dev.plinth.driver.BmcInventory.Disk("d0", 480103981056L, "C123", "1234570")),
                List.of("Processors: not offered"));
        store.saveNode(new NodeRecord.Builder("compute-0").state(ProvisioningState.AVAILABLE)
                .powerState(PowerState.OFF).checkedAt(NOW).updatedAt(NOW).bmcInventory(bmc).build(),
                dev.plinth.store.Versioned.ABSENT);
        store.saveNode(new NodeRecord.Builder("compute-1").state(ProvisioningState.AVAILABLE)
                .powerState(PowerState.OFF).checkedAt(NOW).updatedAt(NOW)
                .bmcInventory(dev.plinth.driver.BmcInventory.none(NOW)).build(), dev.plinth.store.Versioned.ABSENT);
        StatusService status = status(image("centos-9") + node("compute-0", 1, "compute", null)
                + node("compute-1", 2, "compute", null));

        com.fasterxml.jackson.databind.JsonNode json = dev.plinth.json.Json.MAPPER.readTree(
                dev.plinth.json.Json.write(status.node("compute-0", 0).orElseThrow()));
        com.fasterxml.jackson.databind.JsonNode inv = json.path("inventory");
        assertThat(inv.has("deployId")).as("no deploy ramdisk reported").isFalse();
        assertThat(inv.path("bmc").path("manufacturer").asText()).isEqualTo("Sushy Emulator");
        assertThat(inv.path("bmc").path("at").asText()).isEqualTo(NOW.toString());
        assertThat(inv.path("bmc").path("disks").path(0).path("sizeBytes").asLong()).isEqualTo(480103981056L);
        assertThat(inv.path("bmc").path("nics").path(0).path("mac").asText()).isEqualTo("52:54:00:00:00:01");
        assertThat(inv.path("bmc").path("unavailable").path(0).asText()).isEqualTo("Processors: not offered");
        assertThat(dev.plinth.json.Json.MAPPER.readTree(dev.plinth.json.Json.write(
                status.node("compute-1", 0).orElseThrow())).has("inventory"))
                .as("a driver without inventory shows none").isFalse();
        assertThat(status.nodes()).allSatisfy(v -> assertThat(v.inventory()).isNull());
    }

    @Test
    void anInspectionSaysWhenItIsMadeAndThatARunningMachineIsNotRebooted() {
        NodeRecord idle = new NodeRecord.Builder("n1").state(ProvisioningState.AVAILABLE).build();
        assertThat(StatusService.inspectMessage(idle, null)).isEqualTo("node n1 boots the deploy ramdisk to report"
                + " its hardware (nothing is written), then is powered off and AVAILABLE again; the BMC's inventory"
                + " of node n1 is read again at its next pass (now)");
        NodeRecord running = idle.toBuilder().state(ProvisioningState.PROVISIONED).build();
        assertThat(StatusService.inspectMessage(running, dev.plinth.core.NodeLifecycle.inspectBootRefusal(running,
                true))).startsWith("no inspection boot: node n1 is PROVISIONED").contains(
                        "is not rebooted for an inspection").endsWith("is read again at its next pass (now)");
        NodeRecord deploying = idle.toBuilder().state(ProvisioningState.PROVISIONING)
                .step(dev.plinth.core.Step.WRITE_IMAGE).build();
        assertThat(StatusService.inspectMessage(deploying, dev.plinth.core.NodeLifecycle.inspectBootRefusal(
                deploying, true))).contains("is busy (PROVISIONING/WRITE_IMAGE)")
                .contains("once its PROVISIONING operation is over");
    }

    private static String image(String name) {
        return """
                apiVersion: plinth.dev/v1alpha1
                kind: DiskImage
                metadata: {name: %s}
                spec: {url: "http://images.example/c9.raw", checksum: "%s"}
                """.formatted(name, SUM);
    }

    private static String node(String name, int i, String role, String image) {
        return """
                ---
                apiVersion: plinth.dev/v1alpha1
                kind: BareMetalNode
                metadata: {name: %s, labels: {role: %s}}
                spec:
                  bmc: {address: "ipmi://10.0.0.%d:623", credentialsName: bmc-%s}
                  bootMACAddress: "52:54:00:00:00:%02d"
                %s""".formatted(name, role, i, name, i, image == null ? "" : "  image: {name: " + image + "}\n");
    }
}

package dev.plinth.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.plinth.agent.Inventory;
import java.util.List;

/**
 * A node's hardware as its deploy ramdisk last reported it, and as its BMC described it ({@code bmc}), in status
 * (the same fields as standalone's {@code /api/v1/nodes/NAME} shows). Values come from the machine, never from a
 * secret.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class InventoryStatus {
    @JsonPropertyDescription("the deploy whose ramdisk reported it")
    public String deployId;
    @JsonPropertyDescription("when the operator received it")
    public String at;
    public Integer cpus;
    public String cpuModel;
    public Long memoryBytes;
    @JsonPropertyDescription("uefi or bios")
    public String firmware;
    public List<Disk> disks;
    public List<Nic> nics;
    @JsonPropertyDescription("the machine as its BMC described it (Redfish), read when the node was first seen and"
            + " on demand; absent where the BMC has no inventory")
    public Bmc bmc;

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Disk {
        public String name;
        public Long sizeBytes;
        public String model;
        public String vendor;
        public String serial;
        public String wwn;
        public Boolean rotational;
        public Boolean removable;
        public Boolean readOnly;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Nic {
        public String name;
        public String mac;
        @JsonPropertyDescription("up, down or unknown")
        public String link;
        public Integer speedMbps;
    }

    /** {@link dev.plinth.driver.BmcInventory} in status: what the BMC did not tell is absent. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Bmc {
        @JsonPropertyDescription("when the BMC was read")
        public String at;
        public String manufacturer;
        public String model;
        public String serialNumber;
        public String biosVersion;
        @JsonPropertyDescription("UEFI or Legacy, where the BMC tells it")
        public String bootMode;
        public Integer cpus;
        public String cpuModel;
        public Long memoryBytes;
        public List<Processor> processors;
        public List<Memory> memory;
        public List<BmcNic> nics;
        public List<BmcDisk> disks;
        @JsonPropertyDescription("what the BMC did not serve, each with why")
        public List<String> unavailable;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Processor {
        public String name;
        public String model;
        public Integer cores;
        public Integer threads;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class Memory {
        public String name;
        public Long sizeBytes;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class BmcNic {
        public String name;
        public String mac;
        public Integer speedMbps;
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public static class BmcDisk {
        public String name;
        public Long sizeBytes;
        public String model;
        public String serial;
    }

    /** The status form of both inventories; null when there is neither (an empty BMC inventory is none). */
    public static InventoryStatus of(Inventory inventory, dev.plinth.driver.BmcInventory bmc) {
        InventoryStatus s = of(inventory);
        if (bmc == null || bmc.isEmpty()) {
            return s;
        }
        s = s == null ? new InventoryStatus() : s;
        Bmc b = new Bmc();
        b.at = bmc.at() == null ? null : bmc.at().toString();
        b.manufacturer = bmc.manufacturer();
        b.model = bmc.model();
        b.serialNumber = bmc.serialNumber();
        b.biosVersion = bmc.biosVersion();
        b.bootMode = bmc.bootMode();
        b.cpus = bmc.cpus();
        b.cpuModel = bmc.cpuModel();
        b.memoryBytes = bmc.memoryBytes();
        b.processors = bmc.processors().stream().map(p -> {
            Processor x = new Processor();
            x.name = p.name();
            x.model = p.model();
            x.cores = p.cores();
            x.threads = p.threads();
            return x;
        }).toList();
        b.memory = bmc.memory().stream().map(m -> {
            Memory x = new Memory();
            x.name = m.name();
            x.sizeBytes = m.sizeBytes();
            return x;
        }).toList();
        b.nics = bmc.nics().stream().map(n -> {
            BmcNic x = new BmcNic();
            x.name = n.name();
            x.mac = n.mac();
            x.speedMbps = n.speedMbps();
            return x;
        }).toList();
        b.disks = bmc.disks().stream().map(d -> {
            BmcDisk x = new BmcDisk();
            x.name = d.name();
            x.sizeBytes = d.sizeBytes();
            x.model = d.model();
            x.serial = d.serial();
            return x;
        }).toList();
        b.unavailable = bmc.unavailable();
        s.bmc = b;
        return s;
    }

    /** The status form of {@code inventory}; null for none. */
    public static InventoryStatus of(Inventory inventory) {
        if (inventory == null) {
            return null;
        }
        InventoryStatus s = new InventoryStatus();
        s.deployId = inventory.deployId();
        s.at = inventory.at() == null ? null : inventory.at().toString();
        s.cpus = inventory.cpus();
        s.cpuModel = inventory.cpuModel();
        s.memoryBytes = inventory.memoryBytes();
        s.firmware = inventory.firmware();
        s.disks = inventory.disks().stream().map(d -> {
            Disk x = new Disk();
            x.name = d.name();
            x.sizeBytes = d.sizeBytes();
            x.model = d.model();
            x.vendor = d.vendor();
            x.serial = d.serial();
            x.wwn = d.wwn();
            x.rotational = d.rotational();
            x.removable = d.removable();
            x.readOnly = d.readOnly();
            return x;
        }).toList();
        s.nics = inventory.nics().stream().map(n -> {
            Nic x = new Nic();
            x.name = n.name();
            x.mac = n.mac();
            x.link = n.link();
            x.speedMbps = n.speedMbps();
            return x;
        }).toList();
        return s;
    }
}

package dev.plinth.kubernetes.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.plinth.agent.Inventory;
import java.util.List;

/**
 * A node's hardware as its deploy ramdisk last reported it, in status (the same fields as standalone's
 * {@code /api/v1/nodes/NAME} shows). Values come from the machine, never from a secret.
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

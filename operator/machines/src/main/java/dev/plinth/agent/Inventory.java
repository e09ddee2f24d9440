package dev.plinth.agent;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A machine's hardware as the deploy ramdisk reported it ({@code phase=inventory}, ramdisk/PROTOCOL.md section 4),
 * read from /proc and /sys. Values come from the machine: {@link dev.plinth.core.Printable}-cleaned where the form came in, and
 * bounded here in number.
 *
 * @param deployId the deploy whose ramdisk reported it
 * @param at when the controller received it
 * @param firmware {@code uefi} or {@code bios}
 */
public record Inventory(String deployId, Instant at, int cpus, String cpuModel, long memoryBytes, String firmware,
        List<Disk> disks, List<Nic> nics) {
    /** More disks or NICs than this in one report are refused: the form is 64 KiB at most anyway. */
    static final int MAX_DEVICES = 128;

    public Inventory {
        disks = List.copyOf(disks);
        nics = List.copyOf(nics);
    }

    /**
     * A block device. {@code wwn} is sysfs {@code wwid} as read (e.g. {@code naa.5000c500...}); {@code rotational}
     * null when unknown.
     */
    public record Disk(String name, long sizeBytes, String model, String vendor, String serial, String wwn,
            Boolean rotational, boolean removable, boolean readOnly) {
        /** Whether the agent may write it: a whole disk, not removable, not read-only, not empty. */
        boolean eligible() {
            return !removable && !readOnly && sizeBytes > 0;
        }

        /** For messages: the name and what hints compare. */
        String describe() {
            return name + " (" + sizeBytes + " bytes, model=" + model + " vendor=" + vendor + " serial=" + serial
                    + " wwn=" + wwn + " rotational=" + (rotational == null ? "" : rotational) + ")";
        }
    }

    /** A network interface: {@code link} up, down or unknown; {@code speedMbps} null when unknown. */
    public record Nic(String name, String mac, String link, Integer speedMbps) {}

    /** The inventory in an agent's form; an {@link IllegalArgumentException} naming what is wrong. */
    static Inventory fromForm(String deployId, Instant at, Map<String, String> form) {
        List<Disk> disks = new ArrayList<>();
        for (int i = 0; form.containsKey("disk." + i + ".name"); i++) {
            if (i >= MAX_DEVICES) {
                throw new IllegalArgumentException("more than " + MAX_DEVICES + " disks");
            }
            String p = "disk." + i + ".";
            disks.add(new Disk(form.get(p + "name"), number(form, p + "sizeBytes"), text(form, p + "model"),
                    text(form, p + "vendor"), text(form, p + "serial"), text(form, p + "wwn"),
                    bool(form.get(p + "rotational")), "1".equals(form.get(p + "removable")),
                    "1".equals(form.get(p + "readOnly"))));
        }
        List<Nic> nics = new ArrayList<>();
        for (int i = 0; form.containsKey("nic." + i + ".name"); i++) {
            if (i >= MAX_DEVICES) {
                throw new IllegalArgumentException("more than " + MAX_DEVICES + " NICs");
            }
            String p = "nic." + i + ".";
            String speed = text(form, p + "speedMbps");
            nics.add(new Nic(form.get(p + "name"), text(form, p + "mac"), text(form, p + "link"),
                    speed.isEmpty() ? null : (int) Math.min(Integer.MAX_VALUE, number(form, p + "speedMbps"))));
        }
        String firmware = text(form, "firmware");
        if (!firmware.equals("uefi") && !firmware.equals("bios")) {
            throw new IllegalArgumentException("firmware must be uefi or bios, not '" + firmware + "'");
        }
        return new Inventory(deployId, at, (int) Math.min(Integer.MAX_VALUE, number(form, "cpus")),
                text(form, "cpuModel"), number(form, "memoryBytes"), firmware, disks, nics);
    }

    private static String text(Map<String, String> form, String key) {
        return form.getOrDefault(key, "");
    }

    private static long number(Map<String, String> form, String key) {
        String v = text(form, key).trim();
        if (v.isEmpty()) {
            return 0;
        }
        try {
            long n = Long.parseLong(v);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " is not a non-negative number: '" + v + "'");
        }
    }

    private static Boolean bool(String v) {
        return "true".equals(v) ? Boolean.TRUE : "false".equals(v) ? Boolean.FALSE : null;
    }
}

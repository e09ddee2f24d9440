package dev.plinth.agent;

import dev.plinth.api.RootDeviceHints;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What the controller checks in a reported {@link Inventory} before anything is written: the root device hints
 * single out one disk, and the boot MAC in Git is one of the machine's NICs. Pure: the same rules as the agent's
 * {@code matching_disks} (ramdisk/agent/plinth-agent.sh), so both refuse the same machines.
 */
final class InventoryCheck {
    private InventoryCheck() {
    }

    /** The disk the hints choose, or the problem. */
    record Resolution(Inventory.Disk disk, String problem) {}

    /**
     * Every eligible disk matching all hints; none, or several while hints are given, is a problem naming the hints
     * and the candidates. Without hints the first eligible disk in name order is the target (as the agent does).
     */
    static Resolution resolve(RootDeviceHints hints, Inventory inv) {
        List<Inventory.Disk> eligible = inv.disks().stream().filter(Inventory.Disk::eligible)
                .sorted(java.util.Comparator.comparing(Inventory.Disk::name)).toList();
        List<Inventory.Disk> matching = new ArrayList<>();
        for (Inventory.Disk d : eligible) {
            if (matches(hints, d)) {
                matching.add(d);
            }
        }
        String given = describe(hints);
        String candidates = eligible.isEmpty() ? "none"
                : eligible.stream().map(Inventory.Disk::describe).collect(Collectors.joining(", "));
        if (matching.isEmpty()) {
            return new Resolution(null, "no disk matches the root device hints (" + (given.isEmpty() ? "none" : given)
                    + "); candidates: " + candidates);
        }
        if (matching.size() > 1 && !given.isEmpty()) {
            return new Resolution(null, "several disks match the root device hints (" + given + "): "
                    + matching.stream().map(Inventory.Disk::name).collect(Collectors.joining(", "))
                    + "; candidates: " + candidates);
        }
        return new Resolution(matching.get(0), null);
    }

    /** Null when the boot MAC is one of the NICs (or unknown); else the problem, naming the NICs. */
    static String bootMacProblem(String bootMac, Inventory inv) {
        if (bootMac == null) {
            return null;
        }
        for (Inventory.Nic n : inv.nics()) {
            if (bootMac.equalsIgnoreCase(n.mac())) {
                return null;
            }
        }
        return "boot MAC " + bootMac + " (Git) is not among the machine's NICs: " + (inv.nics().isEmpty() ? "none"
                : inv.nics().stream().map(n -> n.name() + " " + n.mac()).collect(Collectors.joining(", ")));
    }

    static boolean matches(RootDeviceHints h, Inventory.Disk d) {
        if (h.deviceName() != null && !d.name().equals(h.deviceName().replaceFirst("^/dev/", ""))) {
            return false;
        }
        if (h.minSizeGigabytes() != null && d.sizeBytes() < h.minSizeGigabytes() * (1L << 30)) {
            return false;
        }
        if (!same(h.model(), d.model()) || !same(h.vendor(), d.vendor()) || !same(h.serialNumber(), d.serial())) {
            return false;
        }
        // sysfs wwid is e.g. "naa.5000c500...": the hint's hex part is found in it
        if (h.wwn() != null && !lower(d.wwn()).contains(lower(h.wwn().replaceFirst("^0x", "")))) {
            return false;
        }
        return h.rotational() == null || h.rotational().equals(d.rotational());
    }

    /** No hint, or equal ignoring case and surrounding blanks (sysfs pads vendor and model). */
    private static boolean same(String hint, String value) {
        return hint == null || hint.isEmpty() || lower(hint).equals(lower(value).strip());
    }

    private static String lower(String s) {
        return s == null ? "" : s.toLowerCase(Locale.ROOT);
    }

    /** The hints given, as the agent prints them: {@code deviceName=/dev/vda minSizeGigabytes=2}. */
    static String describe(RootDeviceHints h) {
        StringBuilder b = new StringBuilder();
        append(b, "deviceName", h.deviceName());
        append(b, "minSizeGigabytes", h.minSizeGigabytes());
        append(b, "model", h.model());
        append(b, "vendor", h.vendor());
        append(b, "serialNumber", h.serialNumber());
        append(b, "wwn", h.wwn());
        append(b, "rotational", h.rotational());
        return b.toString();
    }

    private static void append(StringBuilder b, String key, Object value) {
        if (value != null && !value.toString().isEmpty()) {
            b.append(b.length() == 0 ? "" : " ").append(key).append('=').append(value);
        }
    }
}

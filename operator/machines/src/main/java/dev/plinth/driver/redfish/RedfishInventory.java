package dev.plinth.driver.redfish;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.driver.BmcInventory;
import dev.plinth.driver.DriverException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a ComputerSystem's inventory: its summary (the system resource already read), then each collection it
 * links (Processors, Memory, EthernetInterfaces, Storage with its Drives, else SimpleStorage). BMCs differ in which
 * they serve (sushy-tools' fake driver links Memory and Storage but answers 404 and 500, and has no Processors),
 * so a collection or member the BMC does not serve is noted in {@code unavailable} and the rest is read; only a BMC
 * that stops answering (or refuses the credentials) fails the read.
 */
final class RedfishInventory {
    /** Longest BMC message kept per note: enough to say why, short enough for a status line. */
    private static final int MESSAGE_CHARS = 120;

    private final RedfishClient client;
    private final String systemPath;
    private final List<String> unavailable = new ArrayList<>();

    private RedfishInventory(RedfishClient client, String systemPath) {
        this.client = client;
        this.systemPath = systemPath.endsWith("/") ? systemPath : systemPath + "/";
    }

    /** The inventory of {@code system} (the resource as just read) through {@code client}. */
    static BmcInventory read(RedfishClient client, String systemPath, JsonNode system, Instant at)
            throws DriverException {
        return new RedfishInventory(client, systemPath).read(system, at);
    }

    private BmcInventory read(JsonNode system, Instant at) throws DriverException {
        JsonNode cpu = system.path("ProcessorSummary");
        JsonNode mem = system.path("MemorySummary");
        Long memoryBytes = mem.path("TotalSystemMemoryGiB").isNumber()
                ? Math.round(mem.path("TotalSystemMemoryGiB").asDouble() * (1L << 30)) : null;
        List<BmcInventory.Processor> processors = new ArrayList<>();
        for (JsonNode p : members(system, "Processors")) {
            // CPUs only: BMCs list GPUs and FPGAs here too, and empty sockets as Absent
            if (absent(p) || !text(p, "ProcessorType", "CPU").equals("CPU")) {
                continue;
            }
            processors.add(new BmcInventory.Processor(name(p), text(p, "Model"), integer(p, "TotalCores"),
                    integer(p, "TotalThreads")));
        }
        List<BmcInventory.Memory> memory = new ArrayList<>();
        for (JsonNode m : members(system, "Memory")) {
            if (absent(m) || !m.path("CapacityMiB").isNumber() || m.path("CapacityMiB").asLong() == 0) {
                continue; // an empty DIMM slot
            }
            memory.add(new BmcInventory.Memory(name(m), m.path("CapacityMiB").asLong() << 20));
        }
        List<BmcInventory.Nic> nics = new ArrayList<>();
        for (JsonNode n : members(system, "EthernetInterfaces")) {
            String mac = text(n, "MACAddress", text(n, "PermanentMACAddress", ""));
            nics.add(new BmcInventory.Nic(name(n), mac.isEmpty() ? null : mac.toLowerCase(java.util.Locale.ROOT),
                    integer(n, "SpeedMbps")));
        }
        return new BmcInventory(at, text(system, "Manufacturer"), text(system, "Model"),
                text(system, "SerialNumber"), text(system, "BiosVersion"),
                text(system.path("Boot"), "BootSourceOverrideMode"), integer(cpu, "Count"), text(cpu, "Model"),
                memoryBytes, processors, memory, nics, disks(system), unavailable);
    }

    /** Drives of every Storage member; where the system has no (readable) Storage, its SimpleStorage devices. */
    private List<BmcInventory.Disk> disks(JsonNode system) throws DriverException {
        List<BmcInventory.Disk> disks = new ArrayList<>();
        int before = unavailable.size();
        List<JsonNode> storage = members(system, "Storage");
        if (storage.isEmpty() && unavailable.size() > before && system.has("SimpleStorage")) {
            // Storage not served: the older SimpleStorage may be, and then says all there is
            unavailable.subList(before, unavailable.size()).clear();
            for (JsonNode s : members(system, "SimpleStorage")) {
                for (JsonNode d : s.path("Devices")) {
                    if (!absent(d)) {
                        disks.add(new BmcInventory.Disk(text(d, "Name"), longOrNull(d, "CapacityBytes"),
                                text(d, "Model"), null));
                    }
                }
            }
            return disks;
        }
        for (JsonNode s : storage) {
            for (JsonNode link : s.path("Drives")) {
                JsonNode d = get(link.path("@odata.id").asText(""));
                if (d != null && !absent(d)) {
                    disks.add(new BmcInventory.Disk(name(d), longOrNull(d, "CapacityBytes"), text(d, "Model"),
                            text(d, "SerialNumber")));
                }
            }
        }
        return disks;
    }

    /** The members of the collection the system links as {@code name}; none (and a note) when not served. */
    private List<JsonNode> members(JsonNode system, String name) throws DriverException {
        String path = system.path(name).path("@odata.id").asText("");
        List<JsonNode> out = new ArrayList<>();
        if (path.isEmpty()) {
            unavailable.add(name + ": not offered");
            return out;
        }
        JsonNode collection = get(path);
        if (collection == null) {
            return out;
        }
        for (JsonNode m : collection.path("Members")) {
            // some BMCs expand members in place
            JsonNode member = m.has("Id") ? m : get(m.path("@odata.id").asText(""));
            if (member != null) {
                out.add(member);
            }
        }
        return out;
    }

    /** The resource at {@code path}; null (and a note naming the status) when the BMC does not serve it. */
    private JsonNode get(String path) throws DriverException {
        if (path.isEmpty()) {
            return null;
        }
        RedfishClient.Response r = client.get(path);
        if (!r.ok() || !r.body().isObject()) {
            String said = RedfishClient.messages(r.body());
            unavailable.add((path.startsWith(systemPath) ? path.substring(systemPath.length()) : path) + ": HTTP "
                    + r.status() + (said.length() > MESSAGE_CHARS ? said.substring(0, MESSAGE_CHARS) + "..." : said));
            return null;
        }
        return r.body();
    }

    private static boolean absent(JsonNode n) {
        return n.path("Status").path("State").asText("").equals("Absent");
    }

    private static String name(JsonNode n) {
        String id = text(n, "Id");
        return id == null ? text(n, "Name") : id;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        return v.isTextual() && !v.asText().isBlank() ? v.asText().trim() : null;
    }

    private static String text(JsonNode n, String field, String otherwise) {
        String v = text(n, field);
        return v == null ? otherwise : v;
    }

    private static Integer integer(JsonNode n, String field) {
        return n.path(field).isNumber() ? n.path(field).asInt() : null;
    }

    private static Long longOrNull(JsonNode n, String field) {
        return n.path(field).isNumber() ? n.path(field).asLong() : null;
    }
}

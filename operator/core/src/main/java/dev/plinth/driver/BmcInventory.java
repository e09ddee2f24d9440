package dev.plinth.driver;

import java.time.Instant;
import java.util.List;

/**
 * The machine as its BMC describes it (Redfish: the ComputerSystem's summary and its Processors, Memory,
 * EthernetInterfaces and Storage or SimpleStorage collections), read without booting anything. Every part a BMC
 * does not report is null or empty: BMCs differ widely in what they serve, and the inventory is information, never a
 * reason to hold a node up. What could not be read is said in {@code unavailable}, not guessed.
 *
 * @param at when the BMC was read
 * @param cpus ProcessorSummary.Count; null when not reported
 * @param memoryBytes MemorySummary.TotalSystemMemoryGiB in bytes; null when not reported
 * @param bootMode the firmware's boot mode where the BMC tells it ({@code UEFI}, {@code Legacy}); null when not
 * @param unavailable the parts not read, each with why ({@code Processors: HTTP 501}); empty when all were
 */
public record BmcInventory(
        Instant at,
        String manufacturer,
        String model,
        String serialNumber,
        String biosVersion,
        String bootMode,
        Integer cpus,
        String cpuModel,
        Long memoryBytes,
        List<Processor> processors,
        List<Memory> memory,
        List<Nic> nics,
        List<Disk> disks,
        List<String> unavailable) {

    public BmcInventory {
        processors = processors == null ? List.of() : List.copyOf(processors);
        memory = memory == null ? List.of() : List.copyOf(memory);
        nics = nics == null ? List.of() : List.copyOf(nics);
        disks = disks == null ? List.of() : List.copyOf(disks);
        unavailable = unavailable == null ? List.of() : List.copyOf(unavailable);
    }

    /** @param cores TotalCores; @param threads TotalThreads; null when not reported */
    public record Processor(String name, String model, Integer cores, Integer threads) {}

    /** @param sizeBytes CapacityMiB in bytes */
    public record Memory(String name, Long sizeBytes) {}

    /** @param speedMbps SpeedMbps; null when not reported */
    public record Nic(String name, String mac, Integer speedMbps) {}

    /** @param sizeBytes CapacityBytes; null when not reported */
    public record Disk(String name, Long sizeBytes, String model, String serial) {}

    /** What a driver without an inventory (IPMI, FAKE) gives: read, and nothing in it. */
    public static BmcInventory none(Instant at) {
        return new BmcInventory(at, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /** An inventory that could not be read at all, saying why (a BMC that answers power reads but not this). */
    public static BmcInventory failed(Instant at, String why) {
        return new BmcInventory(at, null, null, null, null, null, null, null, null, null, null, null, null,
                List.of(why));
    }

    /** The same inventory, read at {@code when}. */
    public BmcInventory readAt(Instant when) {
        return new BmcInventory(when, manufacturer, model, serialNumber, biosVersion, bootMode, cpus, cpuModel,
                memoryBytes, processors, memory, nics, disks, unavailable);
    }

    /** True when the BMC told nothing: nothing to show. */
    public boolean isEmpty() {
        return manufacturer == null && model == null && serialNumber == null && biosVersion == null
                && bootMode == null && cpus == null && cpuModel == null && memoryBytes == null && processors.isEmpty()
                && memory.isEmpty() && nics.isEmpty() && disks.isEmpty() && unavailable.isEmpty();
    }
}

package dev.plinth.driver.redfish;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.plinth.driver.BmcCredentials;
import dev.plinth.driver.BmcInventory;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.DriverException;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.NodeTarget;
import dev.plinth.driver.PowerDriver;
import dev.plinth.driver.PowerState;
import java.net.http.HttpClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import javax.net.ssl.SSLContext;

/**
 * {@link PowerDriver} over Redfish for {@code redfish+http(s)://host[:port]/redfish/v1/Systems/<id>}. One
 * {@link RedfishClient} (one session) per BMC, certificate policy and user, replaced when that user's password
 * changes; one lock and rate limit per BMC, whichever user calls. Every call reads the system first: its power state (so asking for what already is
 * sends nothing, which some BMCs would refuse), the actions and values it offers, and its ETag for an If-Match.
 */
public final class RedfishPowerDriver implements PowerDriver, AutoCloseable {
    private final RedfishClientConfig config;
    private final HttpClient verifying;
    private final HttpClient insecure;
    /** By BMC and user. */
    private final ConcurrentMap<String, RedfishClient> clients = new ConcurrentHashMap<>();
    /** By BMC: one lock and rate limit per BMC, whichever user calls. */
    private final ConcurrentMap<String, BmcGate> gates = new ConcurrentHashMap<>();

    /** The JDK's CAs, default timing. */
    public RedfishPowerDriver() {
        this(RedfishClientConfig.defaults(), Tls.jdkDefault());
    }

    /** @param trust how certificates of BMCs that do not opt out are verified ({@link Tls}) */
    public RedfishPowerDriver(RedfishClientConfig config, SSLContext trust) {
        this.config = config;
        this.verifying = RedfishClient.httpClient(trust, config);
        this.insecure = RedfishClient.httpClient(Tls.insecure(), config);
    }

    /** A system as read, with the ETag to send back. */
    private record SystemView(RedfishEndpoint endpoint, RedfishClient client, JsonNode body, Optional<String> etag) {}

    @Override
    public PowerState powerState(NodeTarget node) throws DriverException {
        return power(system(node).body());
    }

    /** On and PoweringOn are ON; Off and PoweringOff are OFF: where the machine is going, which is what it will be. */
    private static PowerState power(JsonNode system) {
        return switch (system.path("PowerState").asText("")) {
            case "On", "PoweringOn", "Paused" -> PowerState.ON;
            case "Off", "PoweringOff" -> PowerState.OFF;
            default -> PowerState.UNKNOWN;
        };
    }

    @Override
    public void powerOn(NodeTarget node) throws DriverException {
        SystemView s = system(node);
        if (power(s.body()) != PowerState.ON) {
            reset(s, "On");
        }
    }

    /** Forced off (the machine loses power at once), as IPMI's power down. */
    @Override
    public void powerOff(NodeTarget node) throws DriverException {
        SystemView s = system(node);
        if (power(s.body()) != PowerState.OFF) {
            reset(s, "ForceOff");
        }
    }

    /**
     * Asks the OS to shut down ({@code GracefulShutdown}: ACPI); the machine may take a while, or ignore it. A system
     * that does not offer it fails as UNSUPPORTED (the lifecycle then forces it off).
     */
    @Override
    public void shutdown(NodeTarget node) throws DriverException {
        SystemView s = system(node);
        if (power(s.body()) != PowerState.OFF) {
            reset(s, "GracefulShutdown");
        }
    }

    /** Restart when on (ForceRestart, else PowerCycle where that is all the BMC offers), On when off. */
    @Override
    public void reboot(NodeTarget node) throws DriverException {
        SystemView s = system(node);
        if (power(s.body()) == PowerState.OFF) {
            reset(s, "On");
            return;
        }
        List<String> offered = resetTypes(s.body());
        reset(s, offered.isEmpty() || offered.contains("ForceRestart") || !offered.contains("PowerCycle")
                ? "ForceRestart" : "PowerCycle");
    }

    /** Any ResetType the system offers ({@code GracefulRestart}, {@code Nmi}...). */
    public void reset(NodeTarget node, String resetType) throws DriverException {
        reset(system(node), resetType);
    }

    private void reset(SystemView s, String resetType) throws DriverException {
        JsonNode action = s.body().path("Actions").path("#ComputerSystem.Reset");
        String target = action.path("target").asText("");
        if (target.isEmpty()) {
            throw new DriverException(FailureKind.UNSUPPORTED, s.client() + ": system " + s.endpoint().systemId()
                    + " offers no ComputerSystem.Reset action");
        }
        List<String> offered = resetTypes(s.body());
        if (!offered.isEmpty() && !offered.contains(resetType)) {
            throw new DriverException(FailureKind.UNSUPPORTED, "BMC " + s.endpoint().base() + ": system "
                    + s.endpoint().systemId() + " does not offer ResetType " + resetType + " (offers "
                    + String.join(", ", offered) + ")");
        }
        String what = "ComputerSystem.Reset " + resetType;
        RedfishClient.Response r = s.client().post(target, RedfishClient.JSON.createObjectNode()
                .put("ResetType", resetType));
        check(s, what, s.client().awaitTask(what, check(s, what, r)));
    }

    private static List<String> resetTypes(JsonNode system) {
        return strings(system.path("Actions").path("#ComputerSystem.Reset").path("ResetType@Redfish.AllowableValues"));
    }

    @Override
    public void setBootDevice(NodeTarget node, BootDevice device, boolean persistent) throws DriverException {
        setBootSource(node, switch (device) {
            case PXE -> BootSource.PXE;
            case DISK -> BootSource.DISK;
            case CD -> BootSource.CD;
        }, persistent);
    }

    /**
     * Sets the boot source override: once (the next boot only) or persistent, in UEFI or legacy mode when the
     * address says {@code bootMode} (else the BMC's current mode is left as it is).
     */
    public void setBootSource(NodeTarget node, BootSource source, boolean persistent) throws DriverException {
        SystemView s = system(node);
        for (int attempt = 1; ; attempt++) {
            JsonNode boot = s.body().path("Boot");
            List<String> offered = strings(boot.path("BootSourceOverrideTarget@Redfish.AllowableValues"));
            if (!offered.isEmpty() && !offered.contains(source.redfish())) {
                throw new DriverException(FailureKind.UNSUPPORTED, "BMC " + s.endpoint().base() + ": system "
                        + s.endpoint().systemId() + " cannot boot from " + source.redfish() + " (offers "
                        + String.join(", ", offered) + ")");
            }
            ObjectNode b = RedfishClient.JSON.createObjectNode()
                    .put("BootSourceOverrideTarget", source.redfish())
                    .put("BootSourceOverrideEnabled", persistent ? "Continuous" : "Once");
            Boolean uefi = s.endpoint().uefi();
            if (uefi != null) {
                if (!boot.has("BootSourceOverrideMode")) {
                    throw new DriverException(FailureKind.UNSUPPORTED, "BMC " + s.endpoint().base() + ": system "
                            + s.endpoint().systemId() + " has no BootSourceOverrideMode: remove bootMode from the"
                            + " address");
                }
                b.put("BootSourceOverrideMode", uefi ? "UEFI" : "Legacy");
            }
            ObjectNode patch = RedfishClient.JSON.createObjectNode();
            patch.set("Boot", b);
            String what = "boot override " + source.redfish() + (persistent ? " (persistent)" : " (once)");
            RedfishClient.Response r = s.client().patch(s.endpoint().systemPath(), patch, s.etag().orElse(null));
            if (r.status() == 412 && attempt == 1) {
                s = system(node); // changed since we read it: read again, once
                continue;
            }
            check(s, what, s.client().awaitTask(what, check(s, what, r)));
            return;
        }
    }

    /**
     * PXE or DISK when an override to one of them is active; empty for anything else (no drift to heal; a CD
     * override is the lifecycle's own, once, during a virtual media boot).
     */
    @Override
    public Optional<BootDevice> bootDevice(NodeTarget node) throws DriverException {
        JsonNode boot = system(node).body().path("Boot");
        if (boot.path("BootSourceOverrideEnabled").asText("Disabled").equals("Disabled")) {
            return Optional.empty();
        }
        return switch (boot.path("BootSourceOverrideTarget").asText("")) {
            case "Pxe" -> Optional.of(BootDevice.PXE);
            case "Hdd" -> Optional.of(BootDevice.DISK);
            default -> Optional.empty();
        };
    }

    /**
     * The system's inventory: its summary and the collections it links (Processors, Memory, EthernetInterfaces,
     * Storage or SimpleStorage), each a GET through the BMC's one client (session, rate limit); what the BMC does not
     * serve is noted, not failed ({@link RedfishInventory}).
     */
    @Override
    public Optional<BmcInventory> inventory(NodeTarget node) throws DriverException {
        SystemView s = system(node);
        return Optional.of(RedfishInventory.read(s.client(), s.endpoint().systemPath(), s.body(),
                java.time.Instant.now()));
    }

    // --- virtual media ----------------------------------------------------------------------------------------

    /**
     * The virtual CD drive of a system as the BMC reports it.
     *
     * @param path the VirtualMedia resource, e.g. {@code /redfish/v1/Systems/1/VirtualMedia/Cd}
     * @param image the inserted image's URL; empty when none
     */
    public record Media(String path, String image, boolean inserted) {}

    /** The system's virtual CD/DVD drive and what is in it. */
    public Media media(NodeTarget node) throws DriverException {
        SystemView s = system(node);
        return read(s, cdDrive(s));
    }

    /**
     * Inserts the image at {@code imageUrl} (which the BMC downloads or streams itself, so it must reach it) into the
     * system's virtual CD drive, write-protected; another image in the drive is ejected first, and the same image
     * already inserted is left alone.
     */
    @Override
    public void insertMedia(NodeTarget node, String imageUrl) throws DriverException {
        SystemView s = system(node);
        Media m = read(s, cdDrive(s));
        if (m.inserted() && m.image().equals(imageUrl)) {
            return;
        }
        if (m.inserted() || !m.image().isEmpty()) {
            mediaAction(s, m.path(), "EjectMedia", RedfishClient.JSON.createObjectNode());
        }
        mediaAction(s, m.path(), "InsertMedia", RedfishClient.JSON.createObjectNode().put("Image", imageUrl)
                .put("Inserted", true).put("WriteProtected", true));
    }

    /** Ejects whatever is in the system's virtual CD drive; nothing to do when it is empty. */
    @Override
    public void ejectMedia(NodeTarget node) throws DriverException {
        SystemView s = system(node);
        Media m = read(s, cdDrive(s));
        if (m.inserted() || !m.image().isEmpty()) {
            mediaAction(s, m.path(), "EjectMedia", RedfishClient.JSON.createObjectNode());
        }
    }

    /** Inserts the image and sets the next boot (only) to the virtual CD. */
    public void bootOnceFromMedia(NodeTarget node, String imageUrl) throws DriverException {
        insertMedia(node, imageUrl);
        setBootSource(node, BootSource.CD, false);
    }

    /**
     * The VirtualMedia member that takes CDs or DVDs: under the system (newer BMCs, sushy-tools) or under the
     * manager that manages it (older ones).
     */
    private String cdDrive(SystemView s) throws DriverException {
        String collection = s.body().path("VirtualMedia").path("@odata.id").asText("");
        if (collection.isEmpty()) {
            String manager = s.body().path("Links").path("ManagedBy").path(0).path("@odata.id").asText("");
            if (!manager.isEmpty()) {
                collection = check(s, "read manager", s.client().get(manager)).body()
                        .path("VirtualMedia").path("@odata.id").asText("");
            }
        }
        if (collection.isEmpty()) {
            throw new DriverException(FailureKind.UNSUPPORTED, "BMC " + s.endpoint().base() + ": system "
                    + s.endpoint().systemId() + " has no VirtualMedia (neither under the system nor its manager)");
        }
        List<String> seen = new ArrayList<>();
        for (JsonNode member : check(s, "read virtual media", s.client().get(collection)).body().path("Members")) {
            String path = member.path("@odata.id").asText("");
            JsonNode drive = check(s, "read virtual media", s.client().get(path)).body();
            List<String> types = strings(drive.path("MediaTypes"));
            if (types.contains("CD") || types.contains("DVD")) {
                return path;
            }
            seen.add(path + " " + types);
        }
        throw new DriverException(FailureKind.UNSUPPORTED, "BMC " + s.endpoint().base() + ": system "
                + s.endpoint().systemId() + " has no virtual CD/DVD drive (" + (seen.isEmpty() ? "none" : seen) + ")");
    }

    private static Media read(SystemView s, String path) throws DriverException {
        JsonNode d = check(s, "read virtual media", s.client().get(path)).body();
        String image = d.path("Image").isTextual() ? d.path("Image").asText() : "";
        return new Media(path, image, d.path("Inserted").asBoolean(false));
    }

    private void mediaAction(SystemView s, String drive, String action, ObjectNode body) throws DriverException {
        JsonNode d = check(s, "read virtual media", s.client().get(drive)).body();
        String target = d.path("Actions").path("#VirtualMedia." + action).path("target").asText("");
        if (target.isEmpty()) {
            // BMCs without the actions (Redfish before 1.6) take a PATCH of Image/Inserted instead: not supported yet
            throw new DriverException(FailureKind.UNSUPPORTED, "BMC " + s.endpoint().base() + ": " + drive
                    + " offers no VirtualMedia." + action + " action");
        }
        String what = "VirtualMedia." + action;
        RedfishClient.Response r = s.client().post(target, body);
        check(s, what, s.client().awaitTask(what, check(s, what, r)));
    }

    /** The system resource as the BMC serves it (for status and tests). */
    public JsonNode systemResource(NodeTarget node) throws DriverException {
        return system(node).body();
    }

    private SystemView system(NodeTarget node) throws DriverException {
        RedfishEndpoint ep = endpoint(node);
        RedfishClient c = client(node, ep);
        RedfishClient.Response r = c.get(ep.systemPath());
        if (r.status() == 404) {
            throw new DriverException(FailureKind.UNSUPPORTED, "BMC " + ep.base() + " has no system "
                    + ep.systemId() + " (its systems: " + systemIds(c) + ")");
        }
        SystemView s = new SystemView(ep, c, r.body(), r.etag());
        check(s, "read system", r);
        return s;
    }

    /** The ids in the BMC's Systems collection, to say which address would have been right. */
    private static String systemIds(RedfishClient c) {
        try {
            RedfishClient.Response r = c.get("/redfish/v1/Systems");
            List<String> ids = new ArrayList<>();
            for (JsonNode m : r.body().path("Members")) {
                String id = m.path("@odata.id").asText("");
                ids.add(id.substring(id.lastIndexOf('/', id.length() - 2) + 1).replaceAll("/$", ""));
            }
            return ids.isEmpty() ? "none" : String.join(", ", ids);
        } catch (DriverException e) {
            return "unknown: " + e.getMessage();
        }
    }

    /** Classifies a status other than 2xx and 202 (which {@link RedfishClient#awaitTask} follows). */
    private static RedfishClient.Response check(SystemView s, String what, RedfishClient.Response r)
            throws DriverException {
        if (r.ok()) {
            return r;
        }
        String where = "BMC " + s.endpoint().base() + ": " + what + " on system " + s.endpoint().systemId()
                + " answered HTTP " + r.status() + RedfishClient.messages(r.body());
        throw new DriverException(switch (r.status()) {
            case 404, 405, 501 -> FailureKind.UNSUPPORTED;
            default -> FailureKind.PROTOCOL;
        }, where);
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asText()));
        return out;
    }

    /** The client for this node's BMC, created on first use; for metrics and tests. */
    public RedfishClient client(NodeTarget node) throws DriverException {
        return client(node, endpoint(node));
    }

    private RedfishClient client(NodeTarget node, RedfishEndpoint ep) throws DriverException {
        BmcCredentials cred = node.credentials();
        if (cred == null || cred.username() == null || cred.password() == null) {
            throw new DriverException(FailureKind.MISSING_CREDENTIALS, "node " + node.name()
                    + ": no BMC credentials for " + ep.base());
        }
        BmcGate gate = gates.computeIfAbsent(ep.bmcKey(), k -> new BmcGate());
        // A client per set of credentials: two nodes of one BMC whose secrets differ (one of them wrong, or one not
        // yet rotated) must not keep replacing, and logging out, each other's client. Clients of the same BMC and
        // user left idle (an old password) are closed when a new set appears.
        String user = ep.bmcKey() + "\n" + cred.username() + "\n";
        String key = user + RedfishClient.digest(cred.password());
        RedfishClient c = clients.get(key);
        if (c != null) {
            return c;
        }
        RedfishClient[] made = new RedfishClient[1];
        c = clients.computeIfAbsent(key, k -> made[0] = new RedfishClient(ep.base(), cred.username(),
                cred.password(), ep.verifyTls() ? verifying : insecure, config, gate));
        if (made[0] != null) {
            long idle = 2 * config.callTimeout().toNanos();
            for (var e : clients.entrySet()) {
                if (e.getKey().startsWith(user) && !e.getKey().equals(key) && e.getValue().idleNanos() > idle
                        && clients.remove(e.getKey(), e.getValue())) {
                    e.getValue().close();
                }
            }
        }
        return c;
    }

    private static RedfishEndpoint endpoint(NodeTarget node) throws DriverException {
        if (node.bmc() == null) {
            throw new DriverException(FailureKind.PROTOCOL, "node " + node.name() + " has no BMC");
        }
        try {
            return RedfishEndpoint.of(node.bmc().address(), node.bmc().disableCertificateVerification());
        } catch (IllegalArgumentException e) {
            // retrying cannot fix an address; the loader refuses these, so only old stored state gets here
            throw new DriverException(FailureKind.UNSUPPORTED, "node " + node.name() + ": " + e.getMessage());
        }
    }

    /** Logs every session out. */
    @Override
    public void close() {
        for (String k : clients.keySet()) {
            RedfishClient c = clients.remove(k);
            if (c != null) {
                c.close();
            }
        }
    }

    @Override
    public String toString() {
        return "RedfishPowerDriver[" + clients.size() + " BMC(s)]";
    }
}

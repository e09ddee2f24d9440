package dev.plinth.core;

import static dev.plinth.core.ProvisioningState.AVAILABLE;
import static dev.plinth.core.ProvisioningState.CLEANING;
import static dev.plinth.core.ProvisioningState.DEPROVISIONING;
import static dev.plinth.core.ProvisioningState.ERROR;
import static dev.plinth.core.ProvisioningState.INSPECTING;
import static dev.plinth.core.ProvisioningState.PROVISIONED;
import static dev.plinth.core.ProvisioningState.PROVISIONING;
import static dev.plinth.core.ProvisioningState.REGISTERING;

import dev.plinth.core.Action.CheckPower;
import dev.plinth.core.Action.CleanUp;
import dev.plinth.core.Action.FinishDeploy;
import dev.plinth.core.Action.ObserveCheckIn;
import dev.plinth.core.Action.ObserveDeploy;
import dev.plinth.core.Action.PowerOff;
import dev.plinth.core.Action.ReadInventory;
import dev.plinth.core.Action.Shutdown;
import dev.plinth.core.Action.PowerOn;
import dev.plinth.core.Action.PrepareDeploy;
import dev.plinth.core.Action.Reboot;
import dev.plinth.core.Action.BootFromMedia;
import dev.plinth.core.Action.SetBootDevice;
import dev.plinth.core.Action.SwitchToLocalBoot;
import dev.plinth.core.Action.Verify;
import dev.plinth.core.Decision.Act;
import dev.plinth.core.Decision.Forget;
import dev.plinth.core.Decision.Persist;
import dev.plinth.core.Decision.Wait;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.DeployPhase;
import dev.plinth.driver.DeployProgress;
import dev.plinth.driver.DeployRequest;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.PowerState;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The node state machine, as pure functions: {@link #decide} maps (desired input, recorded state, now) to the next
 * thing to do, and {@link #apply} maps an action's outcome to the next record. No I/O, no clock, no randomness, so
 * every transition is unit-testable and a restarted controller makes the same decision from the same record.
 * The moves it may make are data, in {@link LifecycleTable}; docs/node-lifecycle.md draws and describes them.
 */
public final class NodeLifecycle {
    private final LifecycleConfig config;

    public NodeLifecycle(LifecycleConfig config) {
        this.config = config;
    }

    public LifecycleConfig config() {
        return config;
    }

    /**
     * What to do next for the node. A record to persist, or the record's end, has passed {@link LifecycleTable}:
     * this and {@link #apply} are the one place every move is checked against it.
     */
    public Decision decide(NodeInput in, NodeRecord rec, Instant now) {
        Decision d = decideUnchecked(in, rec, now);
        if (d instanceof Persist p) {
            LifecycleTable.check(rec, p.next());
        } else if (d instanceof Forget && rec != null) {
            LifecycleTable.check(rec, null);
        }
        return d;
    }

    private Decision decideUnchecked(NodeInput in, NodeRecord rec, Instant now) {
        if (rec == null) {
            return in.isDesired()
                    ? new Persist(NodeRecord.registering(in.name(), in.node().spec().bmc(),
                            in.node().spec().bootMACAddress(), in.fingerprint(), now).toBuilder()
                            .targetImage(adoptable(in)).role(in.role()).build())
                    : new Forget();
        }
        if (!in.isDesired()) {
            return leave(in, rec, now);
        }
        var spec = in.node().spec();
        if (!spec.bmc().equals(rec.bmc()) || !spec.bootMACAddress().equals(rec.bootMACAddress())) {
            // remember how to reach the machine, for after it is removed from the desired state
            // another BMC (or system) may be another machine: its inventory is read again
            return new Persist(rec.toBuilder().bmc(spec.bmc()).bootMACAddress(spec.bootMACAddress())
                    .bmcInventory(spec.bmc().equals(rec.bmc()) ? rec.bmcInventory() : null).build());
        }
        if (rec.state() == ERROR) {
            return decideError(in, rec, now);
        }
        if (rec.operation().notBefore() != null && now.isBefore(rec.operation().notBefore())) {
            return waitUntil(rec.operation().notBefore(), now);
        }
        if (rec.operation().inFlight() != null) {
            // the controller stopped during a call that must not be repeated blindly: read back what it did
            return new Act(new Verify(rec.deploy().id()));
        }
        if (rec.shutdown() != null) {
            // a graceful shutdown runs to its end (off, or forced off) before anything else is done
            return continueShutdown(rec, now);
        }
        if (wantsInventory(rec) || inspectionAsked(in, rec)) {
            return new Act(new ReadInventory());
        }
        return switch (rec.state()) {
            // what an adopted node is taken to run, and for which role
            case REGISTERING -> Objects.equals(adoptable(in), rec.deploy().targetImage())
                    && in.role().equals(rec.role())
                    ? new Act(new CheckPower())
                    : new Persist(rec.toBuilder().targetImage(adoptable(in)).role(in.role()).build());
            case AVAILABLE -> decideAvailable(in, rec, now);
            case PROVISIONING -> decideProvisioning(in, rec, now);
            case PROVISIONED -> decideProvisioned(in, rec, now);
            case CLEANING -> decideCleaning(in, rec, now);
            case INSPECTING -> decideInspecting(rec, now);
            case DEPROVISIONING -> decideDeprovisioning(rec);
            case ERROR -> throw new IllegalStateException("handled above");
        };
    }

    // --- graceful shutdown ---------------------------------------------------------------------------------------

    /**
     * Before a provisioned (or available) machine that is on is powered off or rebooted into the ramdisk, its OS
     * is asked to shut down, as Ironic's soft power off: a clean shutdown keeps its filesystems (and whatever it
     * serves) consistent. The operation begins once it is off. A machine already off, or not read as on, is not.
     */
    private static Decision shutDownFirst(NodeRecord rec, java.util.function.Supplier<Decision> then) {
        boolean mayRunAnOs = (rec.state() == PROVISIONED || rec.state() == AVAILABLE)
                && rec.power().state() == PowerState.ON;
        return mayRunAnOs ? new Act(new Shutdown()) : then.get();
    }

    /** A shutdown asked for: the power is read every poll interval until off; past the deadline, forced off. */
    private Decision continueShutdown(NodeRecord rec, Instant now) {
        NodeRecord.Shutdown sd = rec.shutdown();
        if (!now.isBefore(sd.deadline())) {
            return new Act(new PowerOff());
        }
        Instant read = rec.power().checkedAt();
        Instant due = read == null || !read.isAfter(sd.since()) ? now : read.plus(config.pollInterval());
        if (now.isBefore(due)) {
            return waitUntil(due.isAfter(sd.deadline()) ? sd.deadline() : due, now);
        }
        return new Act(new CheckPower());
    }

    /** The message of a machine whose OS was asked to shut down. */
    public static final String SHUTTING_DOWN = "asked the OS to shut down (graceful); forced off if still on after ";
    /** The message of a machine whose OS shut down when asked. */
    public static final String SHUT_DOWN = "the OS shut down when asked (graceful), in ";
    /** The message of a machine forced off after (or instead of) a graceful shutdown. */
    public static final String FORCED_OFF = "forced off: ";

    // --- the BMC's inventory -----------------------------------------------------------------------------------

    /**
     * Whether the BMC's description of the machine is read now: once, when the node is first seen (registering),
     * or, for a record from before inventories were kept, before its first deploy (available) or while it runs
     * (provisioned). Reads only, so it disturbs nothing; once read it is kept, and read again only on demand.
     */
    private static boolean wantsInventory(NodeRecord rec) {
        return rec.bmcInventory() == null && switch (rec.state()) {
            case REGISTERING, AVAILABLE, PROVISIONED -> true;
            default -> false;
        };
    }

    /**
     * An inspection asked for on demand after the last reading: the BMC is read again, in any state but in the
     * middle of an operation (reads only, so a running machine is not disturbed). Served once: the reading it
     * makes is newer than the request.
     */
    private static boolean inspectionAsked(NodeInput in, NodeRecord rec) {
        Instant asked = in.inspectRequested();
        if (asked == null || rec.bmcInventory() == null || !rec.bmcInventory().at().isBefore(asked)) {
            return false;
        }
        return rec.operation().step() == null && switch (rec.state()) {
            case AVAILABLE, PROVISIONED -> true;
            default -> false;
        };
    }

    /**
     * A failed inventory read: a BMC that does not answer or refuses the credentials fails as any call would (the
     * power read would too); one that answers but cannot describe the machine does not hold the node up: the
     * reason is kept as the inventory's, and the node goes on.
     */
    private Transition inventoryFailed(NodeRecord rec, Outcome.Failed f, Instant now) {
        return switch (f.kind()) {
            case UNREACHABLE, TIMEOUT, AUTHENTICATION, MISSING_CREDENTIALS -> fail(rec, f.kind(), f.message(), now);
            default -> Transition.now(rec.toBuilder()
                    .bmcInventory(dev.plinth.driver.BmcInventory.failed(now, "inventory: " + f.message())).build());
        };
    }

    // --- leaving the fleet -------------------------------------------------------------------------------------

    private Decision leave(NodeInput in, NodeRecord rec, Instant now) {
        if (rec.shutdown() != null) {
            return rec.operation().notBefore() != null && now.isBefore(rec.operation().notBefore())
                    ? waitUntil(rec.operation().notBefore(), now) : continueShutdown(rec, now);
        }
        boolean neverManaged = rec.state() == REGISTERING
                || (rec.state() == ERROR && rec.error().failedOperation() == REGISTERING);
        if (neverManaged) {
            return new Forget();
        }
        if (rec.state() == CLEANING) {
            return decideCleaning(in, rec, now);
        }
        if (rec.state() == DEPROVISIONING) {
            if (rec.operation().notBefore() != null && now.isBefore(rec.operation().notBefore())) {
                return waitUntil(rec.operation().notBefore(), now);
            }
            return decideDeprovisioning(rec);
        }
        boolean failedToLeave = rec.error().failedOperation() == DEPROVISIONING
                || rec.error().failedOperation() == CLEANING;
        if (rec.state() == ERROR && failedToLeave && now.isBefore(rec.operation().notBefore())) {
            return waitUntil(rec.operation().notBefore(), now);
        }
        if (holdsTenant(rec)) {
            return shutDownFirst(rec, () -> new Persist(beginCleaning(rec, now).specFingerprint("").build()));
        }
        return new Persist(begin(rec, DEPROVISIONING, now).specFingerprint("").build());
    }

    // --- cleaning ------------------------------------------------------------------------------------------------

    /** Whether the node's disks may hold an image of ours (whole or in part): then it is wiped before it leaves. */
    private static boolean holdsTenant(NodeRecord rec) {
        return rec.state() == PROVISIONED || rec.state() == PROVISIONING || rec.state() == CLEANING
                || (rec.state() == ERROR && (rec.error().failedOperation() == PROVISIONING
                        || rec.error().failedOperation() == CLEANING));
    }

    /** Starts wiping the node's disks through the deploy ramdisk: a deploy of its own, with a fresh id. */
    private static NodeRecord.Builder beginCleaning(NodeRecord rec, Instant now) {
        long serial = rec.deploy().serial() + 1;
        return begin(rec, CLEANING, now)
                .deploySerial(serial)
                .deployId(DeployIds.of(rec.name(), serial, now))
                .targetImage(null)
                // the disk is about to be wiped: whatever it held is no longer there
                .image(null)
                .deployPhase(null).bytesWritten(0).bytesTotal(0).deployMillis(java.util.Map.of()).deploySilentBoots(0)
                .drift(rec.drift().resolved())
                .message("wiping the disks before the node is released");
    }

    /**
     * Wiping runs to its end whatever the desired state does meanwhile (a half-wiped disk helps nobody); then the
     * node is available if it is still desired, or leaves.
     */
    private Decision decideCleaning(NodeInput in, NodeRecord rec, Instant now) {
        if (rec.operation().notBefore() != null && now.isBefore(rec.operation().notBefore())) {
            return waitUntil(rec.operation().notBefore(), now);
        }
        if (rec.operation().inFlight() != null) {
            return new Act(new Verify(rec.deploy().id()));
        }
        if (rec.operation().step() == null) {
            return new Persist(in.isDesired()
                    ? idle(rec, AVAILABLE).errorCount(0).clearError().message(CLEANED)
                            .lastOperationMillis(millisSince(rec.operation().startedAt(), now)).build()
                    : begin(rec, DEPROVISIONING, now).specFingerprint("").build());
        }
        return switch (rec.operation().step()) {
            case PREPARE_CLEAN -> new Act(new PrepareDeploy(DeployRequest.wipe(rec.deploy().id())));
            case CLEAN_BOOT_PXE -> new Act(bootIntoRamdisk(rec));
            case BOOT_CLEAN_RAMDISK -> reboot(rec, now);
            case WIPE_DISKS -> overdue(rec, now, config.writeTimeout())
                    ? new Persist(failOperation(rec, FailureKind.TIMEOUT,
                            "disks not wiped within " + config.writeTimeout(), now))
                    : new Act(new ObserveDeploy(rec.deploy().id()));
            // the ramdisk powered the machine off: its ISO can go now
            case FINISH_CLEAN -> new Act(new FinishDeploy(rec.deploy().id(), bootsFromMedia(rec)));
            default -> throw new IllegalStateException("step " + rec.operation().step() + " in CLEANING");
        };
    }

    /**
     * What the step before every boot into the deploy ramdisk does, by the node's boot method ({@code spec.bmc}): the
     * BMC boots from the network next (PXE), or from the boot's deploy ISO as its virtual CD (virtual media).
     */
    private static Action bootIntoRamdisk(NodeRecord rec) {
        return bootsFromMedia(rec) ? new BootFromMedia() : new SetBootDevice(BootDevice.PXE, false);
    }

    private static boolean bootsFromMedia(NodeRecord rec) {
        return rec.bmc() != null && rec.bmc().virtualMedia();
    }

    /** The message of a node whose disks were wiped. */
    public static final String CLEANED = "disks wiped: partition tables and filesystem signatures";

    // --- inspection on demand ------------------------------------------------------------------------------------

    /**
     * Why an inspection boot may not be made for the node now, in words for the one who asked; null when it may.
     * Only an available node with no image to run is booted into the ramdisk for it: a provisioned one runs its OS
     * (a running machine is not disturbed without reason), a busy one is in an operation, and one with an image to
     * run is about to be deployed (its deploy reports the same inventory).
     */
    public static String inspectBootRefusal(NodeRecord rec, boolean hasImage) {
        if (rec.state() == PROVISIONED && rec.operation().step() == null) {
            return "node " + rec.name() + " is PROVISIONED: its machine runs its OS and is not rebooted for an"
                    + " inspection; its deploy ramdisk inventory stays the one of its last deploy";
        }
        if (rec.state() != AVAILABLE || rec.operation().step() != null || rec.operation().inFlight() != null) {
            return "node " + rec.name() + " is busy (" + rec.state() + (rec.operation().step() == null ? ""
                    : "/" + rec.operation().step()) + "): it is inspected only when AVAILABLE and idle";
        }
        if (hasImage) {
            return "node " + rec.name() + " has an image to run: its deploy reports the inventory on the way";
        }
        return null;
    }

    /**
     * An accepted inspection boot not served yet: asked for (not in the future) after the node's last operation
     * began. Beginning the inspection serves it (its start is not before the request); so does any other operation
     * begun since (a deploy reports the same inventory; a released node is wiped and is not inspected later).
     */
    private static boolean inspectBootDue(NodeInput in, NodeRecord rec, Instant now) {
        Instant asked = in.inspectBoot();
        Instant last = rec.operation().startedAt();
        return asked != null && !asked.isAfter(now) && (last == null || last.isBefore(asked))
                && rec.operation().step() == null;
    }

    /** Boots the deploy ramdisk to report the hardware only: a deploy of its own, with a fresh id, no image. */
    private static NodeRecord beginInspecting(NodeRecord rec, Instant now) {
        long serial = rec.deploy().serial() + 1;
        return begin(rec, INSPECTING, now)
                .deploySerial(serial)
                .deployId(DeployIds.of(rec.name(), serial, now))
                .targetImage(null)
                .deployPhase(null).bytesWritten(0).bytesTotal(0).deployMillis(java.util.Map.of()).deploySilentBoots(0)
                .message("inspecting the hardware through the deploy ramdisk (nothing is written)")
                .build();
    }

    /** The message of a node inspected on demand. */
    public static final String INSPECTED = "inspected: the deploy ramdisk reported the hardware; nothing written";

    /**
     * The cleaning flow with the instruction {@code inspect}: the ramdisk reports its inventory and powers off
     * without touching a disk. A failure is the usual ERROR (then available again after the backoff, not
     * inspected again unless asked); a removal from the desired state meanwhile deprovisions (nothing to wipe).
     */
    private Decision decideInspecting(NodeRecord rec, Instant now) {
        if (rec.operation().step() == null) {
            return new Persist(idle(rec, AVAILABLE).errorCount(0).clearError().message(INSPECTED)
                    .lastOperationMillis(millisSince(rec.operation().startedAt(), now)).build());
        }
        return switch (rec.operation().step()) {
            case PREPARE_INSPECT -> new Act(new PrepareDeploy(DeployRequest.inspect(rec.deploy().id())));
            case INSPECT_BOOT_PXE -> new Act(bootIntoRamdisk(rec));
            case BOOT_INSPECT_RAMDISK -> reboot(rec, now);
            case READ_HARDWARE -> overdue(rec, now, config.writeTimeout())
                    ? new Persist(failOperation(rec, FailureKind.TIMEOUT,
                            "no inventory within " + config.writeTimeout(), now))
                    : new Act(new ObserveDeploy(rec.deploy().id()));
            case FINISH_INSPECT -> new Act(new FinishDeploy(rec.deploy().id(), bootsFromMedia(rec)));
            default -> throw new IllegalStateException("step " + rec.operation().step() + " in INSPECTING");
        };
    }

    private Decision decideDeprovisioning(NodeRecord rec) {
        if (rec.operation().step() == null) {
            return new Forget();
        }
        return switch (rec.operation().step()) {
            case POWER_OFF -> new Act(new PowerOff());
            case CLEAN_UP -> new Act(new CleanUp());
            default -> throw new IllegalStateException("step " + rec.operation().step() + " in DEPROVISIONING");
        };
    }

    // --- error and retry ---------------------------------------------------------------------------------------

    private Decision decideError(NodeInput in, NodeRecord rec, Instant now) {
        boolean specChanged = !in.fingerprint().equals(rec.specFingerprint());
        if (!specChanged && rec.operation().notBefore() != null && now.isBefore(rec.operation().notBefore())) {
            return waitUntil(rec.operation().notBefore(), now);
        }
        NodeRecord.Builder retry = switch (rec.error().failedOperation()) {
            // a failed registration is tried again as it was: a running machine may still be adopted
            case REGISTERING -> begin(rec, REGISTERING, now).targetImage(adoptable(in));
            // a node that failed to leave and is desired again starts over as a new one, but is not adopted: what
            // its disk holds is whatever the interrupted leave left there
            case DEPROVISIONING -> begin(rec, REGISTERING, now).targetImage(null);
            // a failed wipe is made again: the disks may still hold the last tenant
            case CLEANING -> beginCleaning(rec, now);
            // AVAILABLE starts a fresh deploy (new deploy id) once the image is ready; with no image to run any
            // more, what the failed deploy wrote is wiped first
            default -> in.image() == null && rec.error().failedOperation() == PROVISIONING
                    ? beginCleaning(rec, now) : idle(rec, AVAILABLE);
        };
        retry.clearError().specFingerprint(in.fingerprint());
        if (retry.build().state() == REGISTERING) {
            // registered again as if new: what its BMC says is read again too (the first read may have failed)
            retry.bmcInventory(null);
        }
        if (specChanged) {
            retry.errorCount(0);
        }
        return new Persist(retry.build());
    }

    // --- AVAILABLE ---------------------------------------------------------------------------------------------

    private Decision decideAvailable(NodeInput in, NodeRecord rec, Instant now) {
        if (in.image() != null) {
            if (!in.imageAvailability().ready()) {
                return waitWithMessage(rec, "waiting for image " + in.image().name() + ": "
                        + in.imageAvailability().message());
            }
            return new Persist(beginProvisioning(rec, in, now));
        }
        if (inspectBootDue(in, rec, now)) {
            // whatever runs on it is asked to shut down first, as before a wipe
            return shutDownFirst(rec, () -> new Persist(beginInspecting(rec, now)));
        }
        if (!rec.message().equals(NO_IMAGE)) {
            return new Persist(rec.toBuilder().message(NO_IMAGE).build());
        }
        // A node with nothing to run stays off: it would only network-boot into nothing. Whatever runs on it (an OS
        // found there) is asked to shut down first.
        if (rec.power().state() == PowerState.ON) {
            return new Act(new Shutdown());
        }
        return checkOrWait(rec, now);
    }

    // --- adoption ---------------------------------------------------------------------------------------------

    /**
     * The image a registering node is adopted with if its BMC shows it running from disk: the one the desired state
     * gives it. Kept in the REGISTERING record's {@code targetImage}, since {@link #apply} sees no desired state.
     */
    private static ImageRef adoptable(NodeInput in) {
        return in.image() == null ? null : ImageRef.of(in.image());
    }

    /**
     * A node without a record (new, or its record lost with the state store) is adopted when it should run an
     * image and its BMC shows it powered on and booting from disk: a machine in that state runs an installed OS,
     * and re-imaging it takes evidence that the OS is wrong, not the absence of a record. Not adopted, so deployed
     * the normal way: a machine that is off (nothing runs that a deploy would disturb, and nothing can be checked),
     * one booting from the network (it may be mid-deploy or have no OS at all) and one whose boot device the BMC
     * does not tell (no evidence that a disk OS runs).
     */
    private static boolean adopts(NodeRecord rec, Outcome.Power p) {
        return rec.deploy().targetImage() != null && p.state() == PowerState.ON && p.bootDevice() == BootDevice.DISK;
    }

    /**
     * An adopted node's running OS checked in with a token this controller verified, naming its image. The desired
     * one: verified, nothing else changes. Another: that is the evidence a re-image needs; the record says what
     * runs (name only: a check-in carries no checksum), so the next decision re-provisions.
     */
    private static NodeRecord.Builder proven(NodeRecord rec, NodeRecord.Builder b, String image) {
        if (image.equals(rec.image().name())) {
            return b.imageUnverified(false).message(VERIFIED);
        }
        // drift: what follows (re-image or report) is the node's drift policy's, decided next
        return b.image(new ImageRef(image, null)).drift(new NodeRecord.Drift(IMAGE, rec.image().name(), image, null,
                null, rec.drift().heals(), rec.drift().windowStart())).message("the running OS checked in running"
                + " image " + image + ", not " + rec.image().name());
    }

    /** The message of an adopted node whose running OS proved its image. */
    public static final String VERIFIED = "image verified: the running OS checked in with a valid token";

    /** The message (and event) of a node adopted at registration. */
    public static final String ADOPTED = "adopted: powered on and booting from disk; image unverified until the"
            + " running OS checks in";

    /** The message of a deploy that did not wait for the written OS to check in. */
    public static final String NO_CHECK_IN = "rebooted into the written disk; no check-in awaited (healthCheck.checkIn"
            + " false)";

    static final String NO_IMAGE = "no image to run: set spec.image or select the node from a Cloud role";

    private NodeRecord beginProvisioning(NodeRecord rec, NodeInput in, Instant now) {
        long serial = rec.deploy().serial() + 1;
        return begin(rec, PROVISIONING, now)
                .deploySerial(serial)
                .deployId(DeployIds.of(rec.name(), serial, now))
                .targetImage(ImageRef.of(in.image()))
                // the disk is about to be overwritten: whatever was on it is no longer a verified image
                .image(null)
                .deployPhase(null).bytesWritten(0).bytesTotal(0).deployMillis(java.util.Map.of()).deploySilentBoots(0)
                .specFingerprint(in.fingerprint())
                .role(in.role())
                .build();
    }

    // --- PROVISIONING ------------------------------------------------------------------------------------------

    private Decision decideProvisioning(NodeInput in, NodeRecord rec, Instant now) {
        if (moved(in, rec)) {
            return new Persist(beginCleaning(rec, now).message(movedMessage(in, rec)).build());
        }
        if (in.image() == null) {
            return new Persist(beginCleaning(rec, now)
                    .message("image removed from the desired state while provisioning: wiping the disks").build());
        }
        if (!ImageRef.of(in.image()).equals(rec.deploy().targetImage()) && in.imageAvailability().ready()) {
            return new Persist(beginProvisioning(rec, in, now));
        }
        return switch (rec.operation().step()) {
            case PREPARE_DEPLOY -> new Act(new PrepareDeploy(new DeployRequest(rec.deploy().id(), in.image().name(),
                    in.image().spec(), in.node().spec().rootDeviceHints())));
            case SET_BOOT_PXE -> new Act(bootIntoRamdisk(rec));
            case BOOT_DEPLOY_RAMDISK -> reboot(rec, now);
            case WRITE_IMAGE -> overdue(rec, now, config.writeTimeout())
                    ? new Persist(failOperation(rec, FailureKind.TIMEOUT,
                            "no verified image within " + config.writeTimeout(), now))
                    : new Act(new ObserveDeploy(rec.deploy().id()));
            case SET_BOOT_DISK -> new Act(new SwitchToLocalBoot(bootsFromMedia(rec)));
            case BOOT_IMAGE -> in.online() ? reboot(rec, now) : new Act(new PowerOff());
            // the role's health gate waits only for its probes: the deploy is done once the disk was booted
            case AWAIT_CHECK_IN -> !in.checkIn() ? new Persist(next(rec.toBuilder(), rec, Step.FINISH_DEPLOY, now)
                    .message(NO_CHECK_IN).build())
                    : overdue(rec, now, config.checkInTimeout())
                    ? new Persist(failOperation(rec, FailureKind.TIMEOUT,
                            "the written OS did not check in within " + config.checkInTimeout(), now))
                    : new Act(new ObserveCheckIn(rec.deploy().id()));
            case FINISH_DEPLOY -> new Act(new FinishDeploy(rec.deploy().id()));
            default -> throw new IllegalStateException("step " + rec.operation().step() + " in PROVISIONING");
        };
    }

    // --- PROVISIONED -------------------------------------------------------------------------------------------

    private Decision decideProvisioned(NodeInput in, NodeRecord rec, Instant now) {
        if (in.image() == null) {
            return shutDownFirst(rec, () -> new Persist(beginCleaning(rec, now).build()));
        }
        if (rec.role() == null) {
            // not known (a record from before roles were kept, an adopted node): what it is now is what it runs for
            return new Persist(rec.toBuilder().role(in.role()).build());
        }
        if (moved(in, rec)) {
            if (in.gate().blocked() != null) {
                // it still serves the role it leaves: it goes when that role can spare it (docs: "Moving hardware")
                return waitWithMessage(rec, "moving from " + roleName(rec.role()) + " to " + roleName(in.role())
                        + ": " + in.gate().blocked());
            }
            return shutDownFirst(rec, () -> new Persist(beginCleaning(rec, now).message(movedMessage(in, rec))
                    .build()));
        }
        if (!ImageRef.of(in.image()).equals(rec.image())) {
            NodeRecord.Drift d = rec.drift();
            if (d.seen() && d.what().equals(IMAGE) && in.image().name().equals(d.expected())) {
                // the running OS proved another image than the one Git still asks for: drift, not a change in Git;
                // the re-image waits while its role cannot spare a node in service
                return drift(in, rec, d, now, () -> in.gate().blocked() == null
                        ? shutDownFirst(rec, () -> new Persist(beginProvisioning(rec, in, now)))
                        : waitWithMessage(rec, DRIFT + d + "; healing: " + in.gate().blocked()));
            }
            if (!in.imageAvailability().ready()) {
                return waitWithMessage(rec, "keeps image " + rec.image().name() + " until image "
                        + in.image().name() + " is ready: " + in.imageAvailability().message());
            }
            return shutDownFirst(rec, () -> new Persist(beginProvisioning(rec, in, now)));
        }
        // Drift: what the BMC read differs from what Git asks. Power UNKNOWN (not read) is no evidence of either.
        PowerState want = in.online() ? PowerState.ON : PowerState.OFF;
        PowerState power = rec.power().state();
        Action restore = null;
        NodeRecord.Drift seen = null;
        if (power != PowerState.UNKNOWN && power != want) {
            // a running OS is asked to shut down, and forced off only when it does not (continueShutdown)
            restore = in.online() ? new PowerOn() : new Shutdown();
            seen = observed(POWER, want.name(), power.name());
        } else if (rec.power().bootDevice() != null && rec.power().bootDevice() != BootDevice.DISK) {
            restore = new SetBootDevice(BootDevice.DISK, true);
            seen = observed(BOOT_DEVICE, BootDevice.DISK.name(), rec.power().bootDevice().name());
        }
        boolean specChanged = !in.fingerprint().equals(rec.specFingerprint());
        if (restore != null && (specChanged || rec.power().assumed())) {
            // Git asked for it (online changed), or it is only what our own command assumed: not drift. The
            // fingerprint is taken once the command made the difference go.
            return new Act(restore);
        }
        if (restore != null) {
            Action heal = restore;
            return drift(in, rec, seen, now, () -> new Act(heal));
        }
        if (rec.drift().seen()) {
            return new Persist(rec.toBuilder().drift(rec.drift().resolved())
                    .message(rec.message().startsWith(DRIFT) ? "" : rec.message()).build());
        }
        if (specChanged) {
            return new Persist(rec.toBuilder().specFingerprint(in.fingerprint()).build());
        }
        return checkOrWait(rec, now);
    }

    // --- moving hardware ----------------------------------------------------------------------------------------

    /**
     * The node's labels or a role's selector changed in Git so that it is in another role (or none) than the one
     * its disk was written for: it leaves that cloud, is wiped, and is provisioned for the new one.
     */
    private static boolean moved(NodeInput in, NodeRecord rec) {
        return rec.role() != null && !rec.role().equals(in.role());
    }

    private static String movedMessage(NodeInput in, NodeRecord rec) {
        return "moved from " + roleName(rec.role()) + " to " + roleName(in.role()) + ": wiping the disks first";
    }

    private static String roleName(String role) {
        return role.isEmpty() ? "no role" : "role " + role;
    }

    // --- drift ------------------------------------------------------------------------------------------------

    /** What a drift is about: {@link NodeRecord.Drift#what()}. */
    public static final String POWER = "power";
    public static final String BOOT_DEVICE = "bootDevice";
    public static final String IMAGE = "image";
    /** How the message of a drifted node begins. */
    public static final String DRIFT = "drift: ";
    /** At most this many heals of one node per {@link #HEAL_WINDOW}: a flapping BMC cannot start a heal storm. */
    public static final int HEALS_PER_WINDOW = 3;
    public static final Duration HEAL_WINDOW = Duration.ofHours(1);

    private static NodeRecord.Drift observed(String what, String expected, String observed) {
        return new NodeRecord.Drift(what, expected, observed, null, null, 0, null);
    }

    /**
     * A drift {@code seen} on a provisioned node, under the node's policy. Each new drift, and each change of what is
     * done about it, is first stored (the host turns that write into an event and a metric); the heal follows on the
     * next decision. Report: nothing else. Heal: {@code heal}, unless the node was healed
     * {@link #HEALS_PER_WINDOW} times within {@link #HEAL_WINDOW}: then it is held (reported) until the window ends.
     */
    private Decision drift(NodeInput in, NodeRecord rec, NodeRecord.Drift seen, Instant now,
            java.util.function.Supplier<Decision> heal) {
        NodeRecord.Drift d = rec.drift();
        boolean same = d.seen() && d.sameAs(seen);
        boolean windowOver = d.windowStart() == null || !now.isBefore(d.windowStart().plus(HEAL_WINDOW));
        String action;
        if (in.drift() == dev.plinth.api.DriftPolicy.REPORT) {
            action = NodeRecord.Drift.REPORTED;
        } else if (same && NodeRecord.Drift.HEALING.equals(d.action())) {
            return heal.get();
        } else {
            action = windowOver || d.heals() < HEALS_PER_WINDOW ? NodeRecord.Drift.HEALING : NodeRecord.Drift.HELD;
        }
        if (same && action.equals(d.action())) {
            return checkOrWait(rec, now);
        }
        int heals = windowOver ? 0 : d.heals();
        Instant windowStart = windowOver ? null : d.windowStart();
        if (action.equals(NodeRecord.Drift.HEALING)) {
            heals++;
            windowStart = windowStart == null ? now : windowStart;
        }
        NodeRecord.Drift next = new NodeRecord.Drift(seen.what(), seen.expected(), seen.observed(),
                same && d.since() != null ? d.since() : now, action, heals, windowStart);
        String what = switch (action) {
            case NodeRecord.Drift.HEALING -> "healing";
            case NodeRecord.Drift.REPORTED -> "reported only (drift policy report)";
            default -> "not healed: healed " + d.heals() + " times within " + HEAL_WINDOW.toMinutes()
                    + " min, next heal after " + d.windowStart().plus(HEAL_WINDOW);
        };
        return new Persist(rec.toBuilder().drift(next).message(DRIFT + next + "; " + what).build());
    }

    // --- calls that must not be repeated ----------------------------------------------------------------------

    /**
     * A reboot is not idempotent (doing it twice restarts a deploy that is already writing): the decision carries the
     * intent record, marked in flight, that the host persists before making the call.
     */
    private static Act reboot(NodeRecord rec, Instant now) {
        return new Act(new Reboot(), rec.toBuilder().inFlight(new InFlight(InFlight.Call.REBOOT, now)).build());
    }

    /**
     * After a restart that found a reboot in flight: what the read-back ({@link Verify}) shows decides whether the
     * reboot happened. Redo it only on evidence that it did not, since a second reboot restarts a deploy that is
     * already writing; watch for its effect otherwise, with a timeout that makes it again if that never shows.
     * docs/node-lifecycle.md ("After a restart") tabulates the rule.
     * <ul>
     * <li>into the ramdisk ({@code BOOT_DEPLOY_RAMDISK}): the ramdisk reported (any phase but WAITING): it happened.
     *     Off and never reported: it did not (a ramdisk that finished would have reported WRITTEN or FAILED before
     *     powering off): set network boot again (a BMC forgets a one-time boot device) and reboot. On and not
     *     reported yet: it happened and the ramdisk is booting, or it did not and the machine still runs what it ran
     *     before: watch, and {@code bootTimeout} boots it again if the ramdisk stays silent.
     * <li>into the written disk ({@code BOOT_IMAGE}): the OS checked in, or the machine is on: it happened (the
     *     ramdisk powers itself off after writing, so on means booted again); watch for the check-in. Off and no
     *     check-in: it did not: reboot.
     * </ul>
     */
    private Transition recover(NodeRecord rec, Outcome.Evidence e, Instant now) {
        Step step = rec.operation().step();
        Outcome.Power observed = new Outcome.Power(e.power(), e.bootDevice());
        String lost;
        String watching;
        boolean intoRamdisk = step == Step.BOOT_DEPLOY_RAMDISK || step == Step.BOOT_INSPECT_RAMDISK;
        if (intoRamdisk) {
            DeployPhase phase = e.deploy().phase();
            boolean silent = phase == DeployPhase.WAITING;
            lost = silent && e.power() == PowerState.OFF ? "the machine is off and its deploy ramdisk never reported" : null;
            watching = !silent ? "the deploy ramdisk reported (" + phase.name().toLowerCase() + ")"
                    : "the machine is " + e.power().name().toLowerCase() + " and its ramdisk has not reported yet;"
                            + " booting again if it stays silent for " + config.bootTimeout();
        } else if (step == Step.BOOT_IMAGE) {
            lost = !e.checkedIn() && e.power() == PowerState.OFF ? "the machine is off and the written OS never"
                    + " checked in" : null;
            watching = e.checkedIn() ? "the written OS checked in"
                    : "the machine is " + e.power().name().toLowerCase() + "; waiting up to " + config.checkInTimeout()
                            + " for the written OS to check in";
        } else {
            // no call of this step is recorded in flight: nothing to verify, only the read power state to keep
            NodeRecord next = applyUnchecked(rec, new CheckPower(), observed, now).next();
            return Transition.now(next.toBuilder().message(RECOVERED + "nothing in flight to verify at step " + step)
                    .build());
        }
        if (lost != null) {
            // the power read back, the intent dropped; a reboot into the ramdisk starts again from network boot
            NodeRecord.Builder b = applyUnchecked(rec, new CheckPower(), observed, now).next().toBuilder();
            if (intoRamdisk) {
                b.timing(step, millisSince(rec.operation().stepStartedAt(), now))
                        .step(step == Step.BOOT_DEPLOY_RAMDISK ? Step.SET_BOOT_PXE : Step.INSPECT_BOOT_PXE)
                        .stepStartedAt(now);
            }
            return Transition.now(b.message(RECOVERED + "the reboot did not happen (" + lost + "): rebooting again")
                    .build());
        }
        // it happened (or may have): carry on as if the call had returned, with the power as read back
        NodeRecord rebooted = applyUnchecked(rec, new Reboot(), Outcome.DONE, now).next();
        NodeRecord next = applyUnchecked(rebooted, new CheckPower(), observed, now).next();
        return Transition.now(next.toBuilder().message(RECOVERED + "the reboot happened or may have (" + watching
                + "): watching").build());
    }

    /** How the message of a recovered node begins; the host records it as a recovery event. */
    public static final String RECOVERED = "recovered after a restart: ";

    /**
     * The ramdisk did not report within {@code bootTimeout} of its boot (a boot lost in a crash, a machine that hung
     * in firmware, a DHCP that did not answer): boot it again from network boot, up to {@code stepAttempts} boots,
     * rather than waiting out the whole write timeout.
     */
    private Transition silentBoot(NodeRecord rec, Instant now) {
        int silent = rec.deploy().silentBoots() + 1;
        String why = "the deploy ramdisk did not report within " + config.bootTimeout() + " of its boot";
        if (silent >= config.stepAttempts()) {
            return Transition.now(failOperation(rec, FailureKind.TIMEOUT, why + ", " + silent + " boots in a row", now));
        }
        return Transition.now(rec.toBuilder().attempt(0).notBefore(null).deploySilentBoots(silent)
                .timing(Step.WRITE_IMAGE, millisSince(rec.operation().stepStartedAt(), now))
                .step(Step.SET_BOOT_PXE).stepStartedAt(now)
                .message(why + ": booting it again (boot " + (silent + 1) + " of at most " + config.stepAttempts() + ")")
                .build());
    }

    // --- outcomes ----------------------------------------------------------------------------------------------

    /**
     * The record after {@code action} (decided for {@code rec}) came out as {@code outcome}, checked against
     * {@link LifecycleTable}.
     */
    public Transition apply(NodeRecord rec, Action action, Outcome outcome, Instant now) {
        Transition t = applyUnchecked(rec, action, outcome, now);
        LifecycleTable.check(rec, t.next());
        return t;
    }

    private Transition applyUnchecked(NodeRecord rec, Action action, Outcome outcome, Instant now) {
        if (action instanceof ReadInventory && outcome instanceof Outcome.Failed f) {
            return inventoryFailed(rec, f, now);
        }
        if (action instanceof Shutdown && outcome instanceof Outcome.Failed f && f.kind() == FailureKind.UNSUPPORTED) {
            // the BMC cannot ask the OS: forced off at once, saying so
            return Transition.now(rec.toBuilder().shutdown(new NodeRecord.Shutdown(now, now))
                    .message("the BMC cannot ask the OS to shut down (" + f.message() + "): forcing off").build());
        }
        if (outcome instanceof Outcome.Failed f) {
            Transition t = fail(rec, f.kind(), f.message(), now);
            boolean unverified = action instanceof Verify
                    // no answer is no proof it did not happen: the BMC may have acted before its reply was lost
                    || (rec.operation().inFlight() != null && mayHaveActed(f.kind()));
            if (unverified && t.next().state() == rec.state()) {
                // the call is still unverified, so its intent stays: after the backoff it is read back, not repeated
                return new Transition(t.next().toBuilder().inFlight(rec.operation().inFlight()).build(),
                        t.requeueAfter());
            }
            return t;
        }
        if (action instanceof Verify) {
            return recover(rec, (Outcome.Evidence) outcome, now);
        }
        NodeRecord.Builder b = rec.toBuilder().attempt(0).notBefore(null).inFlight(null);
        if (rec.operation().step() == null || rec.state() == PROVISIONED || rec.state() == AVAILABLE) {
            // an idle node's drift check or heal succeeded: the BMC answers again
            b.clearError();
        }
        if (action instanceof ReadInventory) {
            var inv = ((Outcome.Inventoried) outcome).inventory();
            return Transition.now(b.bmcInventory(inv == null ? dev.plinth.driver.BmcInventory.none(now)
                    : inv.readAt(now)).build());
        }
        if (action instanceof Shutdown) {
            Duration timeout = config.shutdownTimeout();
            return new Transition(b.shutdown(new NodeRecord.Shutdown(now, now.plus(timeout)))
                    .message(SHUTTING_DOWN + timeout.toSeconds() + "s").build(), config.pollInterval());
        }
        if (action instanceof CheckPower) {
            Outcome.Power p = (Outcome.Power) outcome;
            b.powerState(p.state()).checkedAt(now).powerAssumed(false);
            if (p.bootDevice() != null) {
                b.bootDevice(p.bootDevice());
            }
            if (rec.shutdown() != null) {
                return p.state() == PowerState.OFF
                        ? Transition.now(b.shutdown(null).message(SHUT_DOWN
                                + Duration.between(rec.shutdown().since(), now).toSeconds() + "s").build())
                        : new Transition(b.build(), config.pollInterval());
            }
            if (rec.state() != REGISTERING) {
                return Transition.now(rec.imageUnverified() && p.provenImage() != null
                        ? proven(rec, b, p.provenImage()).build() : b.build());
            }
            if (adopts(rec, p)) {
                return Transition.now(complete(b, rec, PROVISIONED, now).image(rec.deploy().targetImage())
                        .imageUnverified(true).targetImage(null).message(ADOPTED).build());
            }
            return Transition.now(complete(b, rec, AVAILABLE, now).targetImage(null).build());
        }
        if (action instanceof PowerOn) {
            // commanded, not observed: see NodeRecord.Power.assumed
            return Transition.now(b.powerState(PowerState.ON).powerAssumed(true).build());
        }
        if (action instanceof PowerOff) {
            b.powerState(PowerState.OFF).powerAssumed(true);
            if (rec.shutdown() != null) {
                NodeRecord.Shutdown sd = rec.shutdown();
                return Transition.now(b.shutdown(null).message(FORCED_OFF + (sd.deadline().equals(sd.since())
                        ? "the BMC cannot ask the OS to shut down"
                        : "the OS did not shut down within " + Duration.between(sd.since(), sd.deadline())
                                .toSeconds() + "s of being asked")).build());
            }
            if (rec.operation().step() == Step.POWER_OFF) {
                return Transition.now(next(b, rec, Step.CLEAN_UP, now).build());
            }
            if (rec.operation().step() == Step.BOOT_IMAGE) {
                return Transition.now(next(b, rec, Step.FINISH_DEPLOY, now).build());
            }
            return Transition.now(b.build());
        }
        if (action instanceof Reboot) {
            b.powerState(PowerState.ON).powerAssumed(true);
            if (rec.operation().step() == Step.BOOT_CLEAN_RAMDISK) {
                return Transition.now(next(b.deployPhase(DeployPhase.WAITING), rec, Step.WIPE_DISKS, now).build());
            }
            if (rec.operation().step() == Step.BOOT_INSPECT_RAMDISK) {
                return Transition.now(next(b.deployPhase(DeployPhase.WAITING), rec, Step.READ_HARDWARE, now)
                        .build());
            }
            if (rec.operation().step() == Step.BOOT_DEPLOY_RAMDISK) {
                return Transition.now(next(b.deployPhase(DeployPhase.WAITING), rec, Step.WRITE_IMAGE, now).build());
            }
            return Transition.now(next(b, rec, Step.AWAIT_CHECK_IN, now).build());
        }
        if (action instanceof SetBootDevice || action instanceof BootFromMedia) {
            b.bootDevice(action instanceof SetBootDevice s ? s.device() : BootDevice.CD);
            if (rec.operation().step() == Step.CLEAN_BOOT_PXE) {
                return Transition.now(next(b, rec, Step.BOOT_CLEAN_RAMDISK, now).build());
            }
            if (rec.operation().step() == Step.INSPECT_BOOT_PXE) {
                return Transition.now(next(b, rec, Step.BOOT_INSPECT_RAMDISK, now).build());
            }
            return Transition.now(rec.operation().step() == Step.SET_BOOT_PXE
                    ? next(b, rec, Step.BOOT_DEPLOY_RAMDISK, now).build() : b.build());
        }
        if (action instanceof PrepareDeploy) {
            Step boot = switch (rec.state()) {
                case CLEANING -> Step.CLEAN_BOOT_PXE;
                case INSPECTING -> Step.INSPECT_BOOT_PXE;
                default -> Step.SET_BOOT_PXE;
            };
            return Transition.now(next(b, rec, boot, now).build());
        }
        if (action instanceof ObserveDeploy) {
            return observed(rec, b, ((Outcome.Progress) outcome).progress(), now);
        }
        if (action instanceof SwitchToLocalBoot) {
            return Transition.now(next(b.bootDevice(BootDevice.DISK), rec, Step.BOOT_IMAGE, now).build());
        }
        if (action instanceof ObserveCheckIn) {
            // the written OS checking in is an observation too: the machine is on
            return ((Outcome.CheckIn) outcome).checkedIn()
                    ? Transition.now(next(b.powerState(PowerState.ON).powerAssumed(false).checkedAt(now), rec,
                            Step.FINISH_DEPLOY, now).build())
                    : new Transition(b.message("waiting for the written OS to check in").build(),
                            config.pollInterval());
        }
        if (action instanceof FinishDeploy && rec.state() == INSPECTING) {
            // the ramdisk powers the machine off after its report: available again, once decided
            return Transition.now(next(b.powerState(PowerState.OFF).powerAssumed(true), rec, null, now)
                    .message(INSPECTED).build());
        }
        if (action instanceof FinishDeploy && rec.state() == CLEANING) {
            // the ramdisk powers the machine off after wiping; what follows depends on the desired state
            return Transition.now(next(b.powerState(PowerState.OFF).powerAssumed(true), rec, null, now)
                    .message(CLEANED).build());
        }
        if (action instanceof FinishDeploy) {
            return Transition.now(complete(b, rec, PROVISIONED, now)
                    .image(rec.deploy().targetImage()).targetImage(null).build());
        }
        if (action instanceof CleanUp) {
            return Transition.now(next(b, rec, null, now).build());
        }
        throw new IllegalArgumentException("unknown action " + action);
    }

    private Transition observed(NodeRecord rec, NodeRecord.Builder b, DeployProgress p, Instant now) {
        b.deployPhase(p.phase()).bytesWritten(p.bytesWritten()).bytesTotal(p.bytesTotal());
        if (!p.phaseMillis().isEmpty()) {
            b.deployMillis(p.phaseMillis());
        }
        boolean cleaning = rec.state() == CLEANING;
        boolean inspecting = rec.state() == INSPECTING;
        if (p.phase() == DeployPhase.WAITING && overdue(rec, now, config.bootTimeout())) {
            // a silent wipe fails and is made again whole after the backoff: wiping twice is harmless; a silent
            // inspection fails to ERROR (then available again): nothing was written
            return cleaning || inspecting ? Transition.now(failOperation(rec, FailureKind.TIMEOUT, "the deploy"
                    + " ramdisk did not report within " + config.bootTimeout() + " of its boot", now))
                    : silentBoot(rec, now);
        }
        return switch (p.phase()) {
            case WRITTEN -> Transition.now(next(b, rec, cleaning ? Step.FINISH_CLEAN
                    : inspecting ? Step.FINISH_INSPECT : Step.SET_BOOT_DISK, now).build());
            case FAILED -> new Transition(failOperation(rec, FailureKind.DEPLOY_FAILED,
                    "deploy failed: " + p.message(), now), null);
            case UNKNOWN -> fail(rec, FailureKind.PROTOCOL,
                    "the deploy driver has no record of deploy " + rec.deploy().id(), now);
            default -> new Transition(b.message(progressMessage(p) + (p.alert().isEmpty() ? ""
                    : "; " + SECURITY + p.alert())).build(), config.pollInterval());
        };
    }

    /** Marks a security event of the deploy in the node's message; the host records it as a Security event. */
    public static final String SECURITY = "security: ";

    private static String progressMessage(DeployProgress p) {
        String phase = p.phase().name().toLowerCase();
        if (p.bytesTotal() > 0) {
            return phase + " " + (100 * p.bytesWritten() / p.bytesTotal()) + "% (" + p.bytesWritten() + "/"
                    + p.bytesTotal() + " bytes)";
        }
        return p.bytesWritten() > 0 ? phase + " (" + p.bytesWritten() + " bytes)" : phase;
    }

    // --- failure handling --------------------------------------------------------------------------------------

    /** A failure after which a call may still have reached the machine: no answer, as against a refusal. */
    private static boolean mayHaveActed(FailureKind kind) {
        return kind == FailureKind.UNREACHABLE || kind == FailureKind.TIMEOUT;
    }

    private Transition fail(NodeRecord rec, FailureKind kind, String message, Instant now) {
        int attempt = rec.operation().attempt() + 1;
        if (rec.operation().step() == null) {
            // A settled node's BMC stopped answering: the node is not broken, we just cannot see it. Back off.
            Duration delay = kind.retryable() ? config.stepDelay(attempt) : config.errorDelay(attempt);
            NodeRecord next = rec.toBuilder().attempt(attempt).notBefore(now.plus(delay)).inFlight(null)
                    .powerState(PowerState.UNKNOWN).powerAssumed(false).errorKind(kind).errorMessage(message)
                    .checkedAt(now)
                    .message("BMC check failed, next try in " + delay.toSeconds() + "s").build();
            return new Transition(next, delay);
        }
        if (kind.retryable() && attempt < config.stepAttempts()) {
            Duration delay = config.stepDelay(attempt);
            NodeRecord next = rec.toBuilder().attempt(attempt).notBefore(now.plus(delay)).inFlight(null)
                    .message(rec.operation().step() + " failed (attempt " + attempt + "/" + config.stepAttempts() + "), retry in "
                            + delay.toSeconds() + "s: " + message).build();
            return new Transition(next, delay);
        }
        return Transition.now(failOperation(rec, kind, message, now));
    }

    private NodeRecord failOperation(NodeRecord rec, FailureKind kind, String message, Instant now) {
        int errors = rec.error().count() + 1;
        Duration delay = config.errorDelay(errors);
        NodeRecord.Builder b = rec.toBuilder();
        if (rec.power().assumed()) {
            // what a power command of the failed operation asked for is not what the machine does now (the ramdisk
            // may have powered it off, or hung): unknown until the next CheckPower, checkedAt keeps the last read
            b.powerState(PowerState.UNKNOWN).powerAssumed(false);
        }
        return b
                .state(ERROR)
                .inFlight(null)
                .failedOperation(rec.state())
                .errorKind(kind)
                .errorMessage(rec.operation().step() + ": " + message)
                .errorCount(errors)
                .step(null)
                .attempt(0)
                .notBefore(now.plus(delay))
                .lastOperationMillis(millisSince(rec.operation().startedAt(), now))
                .message("retry in " + delay.toSeconds() + "s, or at once when the spec changes")
                .build();
    }

    // --- helpers -----------------------------------------------------------------------------------------------

    private static NodeRecord.Builder begin(NodeRecord rec, ProvisioningState operation, Instant now) {
        return rec.toBuilder().state(operation).step(Step.firstOf(operation)).stepStartedAt(now).attempt(0).inFlight(null)
                .notBefore(null).operationStartedAt(now).timings(java.util.Map.of()).message("");
    }

    private static NodeRecord.Builder idle(NodeRecord rec, ProvisioningState state) {
        return rec.toBuilder().state(state).step(null).stepStartedAt(null).attempt(0).notBefore(null);
    }

    private static NodeRecord.Builder next(NodeRecord.Builder b, NodeRecord rec, Step step, Instant now) {
        return b.timing(rec.operation().step(), millisSince(rec.operation().stepStartedAt(), now)).step(step)
                .stepStartedAt(step == null ? null : now).message(step == Step.WRITE_IMAGE ? "booting the deploy ramdisk" : "");
    }

    private static NodeRecord.Builder complete(NodeRecord.Builder b, NodeRecord rec, ProvisioningState state,
            Instant now) {
        return b.timing(rec.operation().step(), millisSince(rec.operation().stepStartedAt(), now)).state(state).step(null)
                .stepStartedAt(null).errorCount(0).clearError().message("")
                .lastOperationMillis(millisSince(rec.operation().startedAt(), now));
    }

    private Decision checkOrWait(NodeRecord rec, Instant now) {
        Instant due = rec.power().checkedAt() == null ? now : rec.power().checkedAt().plus(config.driftInterval());
        // an adopted node's drift check also asks whether its running OS proved its image meanwhile
        return now.isBefore(due) ? waitUntil(due, now) : new Act(new CheckPower(rec.imageUnverified()));
    }

    private Decision waitWithMessage(NodeRecord rec, String message) {
        return message.equals(rec.message())
                ? new Wait(config.pollInterval())
                : new Persist(rec.toBuilder().message(message).build());
    }

    private static boolean overdue(NodeRecord rec, Instant now, Duration timeout) {
        return rec.operation().stepStartedAt() != null && now.isAfter(rec.operation().stepStartedAt().plus(timeout));
    }

    private static Wait waitUntil(Instant when, Instant now) {
        Duration d = Duration.between(now, when);
        return new Wait(d.isNegative() ? Duration.ZERO : d);
    }

    private static long millisSince(Instant start, Instant now) {
        return start == null ? 0 : Math.max(0, Duration.between(start, now).toMillis());
    }
}

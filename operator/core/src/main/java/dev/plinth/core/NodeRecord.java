package dev.plinth.core;

import dev.plinth.api.BmcSpec;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.DeployPhase;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.PowerState;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * What Plinth knows and has done about one node: the actual state it persists after every transition, so that a
 * restarted controller resumes exactly where the last one stopped. Immutable; change it with {@link #toBuilder()}.
 * The public view of it is {@link dev.plinth.api.NodeStatus}, made by {@link NodeStatusMapper}.
 *
 * @param bmc the BMC last seen in the desired state, kept so the node can be deprovisioned after it is removed
 * @param specFingerprint the desired spec when the current operation began; a change retries an ERROR at once
 * @param state the lifecycle state ({@link LifecycleTable} lists the moves between them)
 * @param image the image verified on the node's disk, null when none Plinth wrote
 * @param imageUnverified true when {@code image} was adopted, not written: a controller without a record found the
 *     machine running from disk and took the desired image to be on it, unproven until the running OS checks in
 * @param operation the operation in progress (or the last one's timings)
 * @param power what the BMC last said
 * @param deploy the running (or last) deploy
 * @param error why the last operation failed, and how often in a row
 * @param message why the node waits, in words (empty when it does not)
 * @param drift what was last seen to differ from the desired state on the provisioned node, and its heals
 * @param role the Cloud role ({@code cloud/role}, empty for none) the image on its disk was written for; null when
 *     not known (a record from before roles were kept, or an adopted node): then the current one is taken
 * @param bmcInventory the machine as its BMC last described it; null when not read yet (it is read when the node
 *     is first seen, before its first deploy, and on demand: not on every pass)
 * @param shutdown a graceful shutdown of the running OS in progress; null when none
 */
public record NodeRecord(
        String name,
        BmcSpec bmc,
        String bootMACAddress,
        String specFingerprint,
        ProvisioningState state,
        ImageRef image,
        boolean imageUnverified,
        Operation operation,
        Power power,
        Deploy deploy,
        Failure error,
        String message,
        Instant updatedAt,
        Drift drift,
        String role,
        dev.plinth.driver.BmcInventory bmcInventory,
        Shutdown shutdown) {

    public NodeRecord {
        drift = drift == null ? Drift.NONE : drift;
        operation = operation == null ? Operation.NONE : operation;
        power = power == null ? Power.UNKNOWN : power;
        deploy = deploy == null ? Deploy.NONE : deploy;
        error = error == null ? Failure.NONE : error;
        message = message == null ? "" : message;
    }

    /**
     * The operation in progress within {@code state}.
     *
     * @param step the step in progress; null when no operation runs
     * @param attempt failed attempts of the current step so far
     * @param notBefore do nothing to this node before this time (retry backoff); null for no wait
     * @param lastMillis how long the current or last operation took
     * @param timings milliseconds per completed step of the current or last operation
     * @param inFlight a non-idempotent driver call that was started and not yet seen to finish (a crash in between
     *     leaves it set): the restarted controller verifies its effect instead of calling again; null for none
     */
    public record Operation(Step step, Instant stepStartedAt, int attempt, Instant notBefore, Instant startedAt,
            long lastMillis, Map<Step, Long> timings, InFlight inFlight) {
        public static final Operation NONE = new Operation(null, null, 0, null, null, 0, Map.of(), null);

        public Operation {
            timings = timings == null || timings.isEmpty()
                    ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(timings));
        }
    }

    /**
     * What the BMC last said, and when it was asked.
     *
     * @param assumed true when {@code state} is what a power command since {@code checkedAt} asked for, not what
     *     the BMC reported: a command that succeeded says nothing of what the machine did next
     */
    public record Power(PowerState state, BootDevice bootDevice, Instant checkedAt, boolean assumed) {
        public static final Power UNKNOWN = new Power(PowerState.UNKNOWN, null, null, false);

        public Power {
            state = state == null ? PowerState.UNKNOWN : state;
        }
    }

    /**
     * The running (or last) deploy.
     *
     * @param serial deploys started on this node so far
     * @param id chosen and stored before any driver call so that a deploy is never started twice
     * @param targetImage the image the running PROVISIONING operation writes
     * @param phaseMillis the deploy ramdisk's own phase durations (boot to agent, download and write, verify)
     * @param silentBoots boots into this deploy's ramdisk that showed no sign of life within the boot timeout; each is
     *     made again until there were {@link LifecycleConfig#stepAttempts()} boots
     */
    public record Deploy(long serial, String id, ImageRef targetImage, DeployPhase phase, long bytesWritten,
            long bytesTotal, Map<String, Long> phaseMillis, int silentBoots) {
        public static final Deploy NONE = new Deploy(0, null, null, null, 0, 0, Map.of(), 0);

        public Deploy {
            phaseMillis = phaseMillis == null ? Map.of() : Map.copyOf(phaseMillis);
        }
    }

    /**
     * Why the last operation (or drift check) failed.
     *
     * @param count operations failed in a row (the backoff grows with it)
     * @param kind null when nothing failed
     * @param failedOperation with ERROR: the operation that failed and will be retried
     */
    public record Failure(int count, FailureKind kind, String message, ProvisioningState failedOperation) {
        public static final Failure NONE = new Failure(0, null, null, null);
    }

    /**
     * Drift: the node observed to differ from what is desired, and the heals made for it. {@code what} is null when
     * nothing differs now; the heal count and its window outlive a drift, so a flapping machine is rate-limited.
     *
     * @param what {@code power}, {@code bootDevice} or {@code image}; null when no drift is seen
     * @param expected what the desired state asks for
     * @param observed what was read (the BMC, or the running OS's check-in)
     * @param since when this drift was first seen
     * @param action {@code healing}, {@code reported} (policy report) or {@code held} (heal rate limit reached)
     * @param heals heals made since {@code windowStart}
     */
    public record Drift(String what, String expected, String observed, Instant since, String action, int heals,
            Instant windowStart) {
        public static final Drift NONE = new Drift(null, null, null, null, null, 0, null);
        public static final String HEALING = "healing";
        public static final String REPORTED = "reported";
        public static final String HELD = "held";

        public boolean seen() {
            return what != null;
        }

        /** Nothing differs any more; the heal count stays for the rate limit. */
        public Drift resolved() {
            return new Drift(null, null, null, null, null, heals, windowStart);
        }

        /** The same difference (what, expected, observed) as {@code o}. */
        public boolean sameAs(Drift o) {
            return java.util.Objects.equals(what, o.what) && java.util.Objects.equals(expected, o.expected)
                    && java.util.Objects.equals(observed, o.observed);
        }

        @Override
        public String toString() {
            return what + ": expected " + expected + ", observed " + observed;
        }
    }

    /**
     * The running OS was asked to shut down (ACPI) at {@code since}; it is forced off at {@code deadline} if it is
     * still on then. {@code deadline} equals {@code since} when the BMC cannot ask (force at once).
     */
    public record Shutdown(Instant since, Instant deadline) {}

    /** A node just seen in the desired state for the first time. */
    public static NodeRecord registering(String name, BmcSpec bmc, String mac, String specFingerprint, Instant now) {
        return new Builder(name).bmc(bmc).bootMACAddress(mac).state(ProvisioningState.REGISTERING).step(Step.CHECK_BMC)
                .stepStartedAt(now).operationStartedAt(now).specFingerprint(specFingerprint).updatedAt(now).build();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /**
     * Mutable copy of a record; {@link #build()} gives the immutable one. Its setters are flat (one per field of the
     * sub-records) because the lifecycle changes fields across them in one transition.
     */
    public static final class Builder {
        private final String name;
        private BmcSpec bmc;
        private String bootMACAddress;
        private String specFingerprint;
        private ProvisioningState state;
        private ImageRef image;
        private boolean imageUnverified;
        private String message = "";
        private Instant updatedAt;
        // operation
        private Step step;
        private Instant stepStartedAt;
        private int attempt;
        private Instant notBefore;
        private Instant operationStartedAt;
        private long lastOperationMillis;
        private Map<Step, Long> timings = new EnumMap<>(Step.class);
        private InFlight inFlight;
        // power
        private PowerState powerState = PowerState.UNKNOWN;
        private BootDevice bootDevice;
        private Instant checkedAt;
        private boolean powerAssumed;
        // deploy
        private long deploySerial;
        private String deployId;
        private ImageRef targetImage;
        private DeployPhase deployPhase;
        private long bytesWritten;
        private long bytesTotal;
        private Map<String, Long> deployMillis = Map.of();
        private int deploySilentBoots;
        // error
        private int errorCount;
        private FailureKind errorKind;
        private String errorMessage;
        private ProvisioningState failedOperation;
        private Drift drift = Drift.NONE;
        private String role;
        private dev.plinth.driver.BmcInventory bmcInventory;
        private Shutdown shutdown;

        public Builder(String name) {
            this.name = name;
        }

        private Builder(NodeRecord r) {
            name = r.name;
            bmc = r.bmc;
            bootMACAddress = r.bootMACAddress;
            specFingerprint = r.specFingerprint;
            state = r.state;
            image = r.image;
            imageUnverified = r.imageUnverified;
            message = r.message;
            updatedAt = r.updatedAt;
            Operation o = r.operation;
            step = o.step();
            stepStartedAt = o.stepStartedAt();
            attempt = o.attempt();
            notBefore = o.notBefore();
            operationStartedAt = o.startedAt();
            lastOperationMillis = o.lastMillis();
            timings = o.timings().isEmpty() ? new EnumMap<>(Step.class) : new EnumMap<>(o.timings());
            inFlight = o.inFlight();
            powerState = r.power.state();
            bootDevice = r.power.bootDevice();
            checkedAt = r.power.checkedAt();
            powerAssumed = r.power.assumed();
            Deploy d = r.deploy;
            deploySerial = d.serial();
            deployId = d.id();
            targetImage = d.targetImage();
            deployPhase = d.phase();
            bytesWritten = d.bytesWritten();
            bytesTotal = d.bytesTotal();
            deployMillis = d.phaseMillis();
            deploySilentBoots = d.silentBoots();
            errorCount = r.error.count();
            errorKind = r.error.kind();
            errorMessage = r.error.message();
            failedOperation = r.error.failedOperation();
            drift = r.drift;
            role = r.role;
            bmcInventory = r.bmcInventory;
            shutdown = r.shutdown;
        }

        public Builder role(String v) { role = v; return this; }

        public Builder bmcInventory(dev.plinth.driver.BmcInventory v) { bmcInventory = v; return this; }

        public Builder shutdown(Shutdown v) { shutdown = v; return this; }

        public Builder drift(Drift v) { drift = v == null ? Drift.NONE : v; return this; }

        public Builder bmc(BmcSpec v) { bmc = v; return this; }
        public Builder bootMACAddress(String v) { bootMACAddress = v; return this; }
        public Builder specFingerprint(String v) { specFingerprint = v; return this; }
        public Builder state(ProvisioningState v) { state = v; return this; }
        /** Sets the image on the node's disk; a written (or removed) image is verified, so this clears the flag. */
        public Builder image(ImageRef v) { image = v; imageUnverified = false; return this; }

        public Builder imageUnverified(boolean v) { imageUnverified = v; return this; }
        public Builder message(String v) { message = v; return this; }
        public Builder updatedAt(Instant v) { updatedAt = v; return this; }
        public Builder step(Step v) { step = v; return this; }
        public Builder stepStartedAt(Instant v) { stepStartedAt = v; return this; }
        public Builder attempt(int v) { attempt = v; return this; }
        public Builder notBefore(Instant v) { notBefore = v; return this; }
        public Builder operationStartedAt(Instant v) { operationStartedAt = v; return this; }
        public Builder lastOperationMillis(long v) { lastOperationMillis = v; return this; }
        public Builder timings(Map<Step, Long> v) { timings = new EnumMap<>(Step.class); timings.putAll(v); return this; }
        public Builder timing(Step s, long millis) { timings.put(s, millis); return this; }
        public Builder inFlight(InFlight v) { inFlight = v; return this; }
        public Builder powerState(PowerState v) { powerState = v; return this; }
        public Builder bootDevice(BootDevice v) { bootDevice = v; return this; }
        public Builder checkedAt(Instant v) { checkedAt = v; return this; }
        public Builder powerAssumed(boolean v) { powerAssumed = v; return this; }
        public Builder deploySerial(long v) { deploySerial = v; return this; }
        public Builder deployId(String v) { deployId = v; return this; }
        public Builder targetImage(ImageRef v) { targetImage = v; return this; }
        public Builder deployPhase(DeployPhase v) { deployPhase = v; return this; }
        public Builder bytesWritten(long v) { bytesWritten = v; return this; }
        public Builder bytesTotal(long v) { bytesTotal = v; return this; }
        public Builder deployMillis(Map<String, Long> v) { deployMillis = v; return this; }
        public Builder deploySilentBoots(int v) { deploySilentBoots = v; return this; }
        public Builder errorCount(int v) { errorCount = v; return this; }
        public Builder errorKind(FailureKind v) { errorKind = v; return this; }
        public Builder errorMessage(String v) { errorMessage = v; return this; }
        public Builder failedOperation(ProvisioningState v) { failedOperation = v; return this; }

        public Builder clearError() {
            errorKind = null;
            errorMessage = null;
            failedOperation = null;
            return this;
        }

        public NodeRecord build() {
            return new NodeRecord(name, bmc, bootMACAddress, specFingerprint, state, image, imageUnverified,
                    new Operation(step, stepStartedAt, attempt, notBefore, operationStartedAt, lastOperationMillis,
                            timings, inFlight),
                    new Power(powerState, bootDevice, checkedAt, powerAssumed),
                    new Deploy(deploySerial, deployId, targetImage, deployPhase, bytesWritten, bytesTotal,
                            deployMillis, deploySilentBoots),
                    new Failure(errorCount, errorKind, errorMessage, failedOperation),
                    message, updatedAt, drift, role, bmcInventory, shutdown);
        }
    }
}

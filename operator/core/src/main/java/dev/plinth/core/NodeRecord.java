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
 *
 * @param bmc the BMC last seen in Git for this node, kept so it can be deprovisioned after it leaves Git
 * @param step the step in progress within {@code state}'s operation; null when no operation runs
 * @param attempt failed attempts of the current step so far
 * @param notBefore do nothing to this node before this time (retry backoff); null for no wait
 * @param image the image verified on the node's disk, null when none Plinth wrote
 * @param targetImage the image the running PROVISIONING operation writes
 * @param deployId the deploy of the running (or last) PROVISIONING operation; chosen and stored before any
 *     driver call so that it is never started twice
 * @param failedOperation with ERROR: the operation that failed and will be retried
 * @param specFingerprint the desired spec when the current operation began; a change retries an ERROR at once
 * @param deployMillis the deploy ramdisk's own phase durations (boot to agent, download and write, verify)
 * @param timings milliseconds per completed step of the current or last operation
 * @param message why the node waits, in words (empty when it does not)
 * @param inFlight a non-idempotent driver call that was started and not yet seen to finish (a crash in between
 *     leaves it set): the restarted controller verifies its effect instead of calling again; null for none
 */
public record NodeRecord(
        String name,
        BmcSpec bmc,
        String bootMACAddress,
        ProvisioningState state,
        Step step,
        Instant stepStartedAt,
        int attempt,
        Instant notBefore,
        Instant operationStartedAt,
        long lastOperationMillis,
        PowerState powerState,
        BootDevice bootDevice,
        Instant checkedAt,
        ImageRef image,
        ImageRef targetImage,
        long deploySerial,
        String deployId,
        DeployPhase deployPhase,
        long bytesWritten,
        long bytesTotal,
        Map<String, Long> deployMillis,
        int errorCount,
        FailureKind errorKind,
        String errorMessage,
        ProvisioningState failedOperation,
        String specFingerprint,
        Map<Step, Long> timings,
        String message,
        InFlight inFlight,
        Instant updatedAt) {

    public NodeRecord {
        deployMillis = deployMillis == null ? Map.of() : Map.copyOf(deployMillis);
        timings = timings == null || timings.isEmpty()
                ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(timings));
        message = message == null ? "" : message;
        powerState = powerState == null ? PowerState.UNKNOWN : powerState;
    }

    /** A node just seen in Git for the first time. */
    public static NodeRecord registering(String name, BmcSpec bmc, String mac, String specFingerprint, Instant now) {
        return new Builder(name).bmc(bmc).bootMACAddress(mac).state(ProvisioningState.REGISTERING).step(Step.CHECK_BMC).stepStartedAt(now)
                .operationStartedAt(now).specFingerprint(specFingerprint).updatedAt(now).build();
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    /** Mutable copy of a record; {@link #build()} gives the immutable one. */
    public static final class Builder {
        private final String name;
        private BmcSpec bmc;
        private String bootMACAddress;
        private ProvisioningState state;
        private Step step;
        private Instant stepStartedAt;
        private int attempt;
        private Instant notBefore;
        private Instant operationStartedAt;
        private long lastOperationMillis;
        private PowerState powerState = PowerState.UNKNOWN;
        private BootDevice bootDevice;
        private Instant checkedAt;
        private ImageRef image;
        private ImageRef targetImage;
        private long deploySerial;
        private String deployId;
        private DeployPhase deployPhase;
        private long bytesWritten;
        private long bytesTotal;
        private Map<String, Long> deployMillis = Map.of();
        private int errorCount;
        private FailureKind errorKind;
        private String errorMessage;
        private ProvisioningState failedOperation;
        private String specFingerprint;
        private Map<Step, Long> timings = new EnumMap<>(Step.class);
        private String message = "";
        private InFlight inFlight;
        private Instant updatedAt;

        public Builder(String name) {
            this.name = name;
        }

        private Builder(NodeRecord r) {
            name = r.name;
            bmc = r.bmc;
            bootMACAddress = r.bootMACAddress;
            state = r.state;
            step = r.step;
            stepStartedAt = r.stepStartedAt;
            attempt = r.attempt;
            notBefore = r.notBefore;
            operationStartedAt = r.operationStartedAt;
            lastOperationMillis = r.lastOperationMillis;
            powerState = r.powerState;
            bootDevice = r.bootDevice;
            checkedAt = r.checkedAt;
            image = r.image;
            targetImage = r.targetImage;
            deploySerial = r.deploySerial;
            deployId = r.deployId;
            deployPhase = r.deployPhase;
            bytesWritten = r.bytesWritten;
            bytesTotal = r.bytesTotal;
            deployMillis = r.deployMillis;
            errorCount = r.errorCount;
            errorKind = r.errorKind;
            errorMessage = r.errorMessage;
            failedOperation = r.failedOperation;
            specFingerprint = r.specFingerprint;
            timings = r.timings.isEmpty() ? new EnumMap<>(Step.class) : new EnumMap<>(r.timings);
            message = r.message;
            inFlight = r.inFlight;
            updatedAt = r.updatedAt;
        }

        public Builder bmc(BmcSpec v) { bmc = v; return this; }
        public Builder bootMACAddress(String v) { bootMACAddress = v; return this; }
        public Builder state(ProvisioningState v) { state = v; return this; }
        public Builder step(Step v) { step = v; return this; }
        public Builder stepStartedAt(Instant v) { stepStartedAt = v; return this; }
        public Builder attempt(int v) { attempt = v; return this; }
        public Builder notBefore(Instant v) { notBefore = v; return this; }
        public Builder operationStartedAt(Instant v) { operationStartedAt = v; return this; }
        public Builder lastOperationMillis(long v) { lastOperationMillis = v; return this; }
        public Builder powerState(PowerState v) { powerState = v; return this; }
        public Builder bootDevice(BootDevice v) { bootDevice = v; return this; }
        public Builder checkedAt(Instant v) { checkedAt = v; return this; }
        public Builder image(ImageRef v) { image = v; return this; }
        public Builder targetImage(ImageRef v) { targetImage = v; return this; }
        public Builder deploySerial(long v) { deploySerial = v; return this; }
        public Builder deployId(String v) { deployId = v; return this; }
        public Builder deployPhase(DeployPhase v) { deployPhase = v; return this; }
        public Builder bytesWritten(long v) { bytesWritten = v; return this; }
        public Builder bytesTotal(long v) { bytesTotal = v; return this; }
        public Builder deployMillis(Map<String, Long> v) { deployMillis = v; return this; }
        public Builder errorCount(int v) { errorCount = v; return this; }
        public Builder errorKind(FailureKind v) { errorKind = v; return this; }
        public Builder errorMessage(String v) { errorMessage = v; return this; }
        public Builder failedOperation(ProvisioningState v) { failedOperation = v; return this; }
        public Builder specFingerprint(String v) { specFingerprint = v; return this; }
        public Builder timings(Map<Step, Long> v) { timings = new EnumMap<>(Step.class); timings.putAll(v); return this; }
        public Builder timing(Step s, long millis) { timings.put(s, millis); return this; }
        public Builder message(String v) { message = v; return this; }
        public Builder inFlight(InFlight v) { inFlight = v; return this; }
        public Builder updatedAt(Instant v) { updatedAt = v; return this; }

        public Builder clearError() {
            errorKind = null;
            errorMessage = null;
            failedOperation = null;
            return this;
        }

        public NodeRecord build() {
            return new NodeRecord(name, bmc, bootMACAddress, state, step, stepStartedAt, attempt, notBefore, operationStartedAt,
                    lastOperationMillis, powerState, bootDevice, checkedAt, image, targetImage, deploySerial,
                    deployId, deployPhase, bytesWritten, bytesTotal, deployMillis, errorCount, errorKind, errorMessage,
                    failedOperation, specFingerprint, timings, message, inFlight, updatedAt);
        }
    }
}

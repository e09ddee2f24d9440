package dev.plinth.testkit;

import dev.plinth.api.BmcSpec;
import dev.plinth.core.ImageRef;
import dev.plinth.core.InFlight;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.core.Step;
import dev.plinth.driver.DeployPhase;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.PowerState;
import dev.plinth.store.StateStore;
import java.time.Instant;

/**
 * What the store contract tests need of an implementation: {@link #openStore()} opens a new instance over the data
 * this test owns, as a restarted controller opens its store again. Contracts read back through such a fresh
 * instance, so nothing passes by being cached in memory.
 */
public interface StoreUnderTest {
    StateStore openStore();

    /** A record with every kind of field set, so a lossy serialisation shows. */
    static NodeRecord record(String name, ProvisioningState state) {
        Instant t = Instant.parse("2026-11-25T10:00:00Z");
        return new NodeRecord.Builder(name).bmc(BmcSpec.of("ipmi://10.0.0.1:623", "bmc-" + name, false))
                .bootMACAddress("52:54:00:00:00:01").state(state).step(Step.WRITE_IMAGE).stepStartedAt(t)
                .powerState(PowerState.ON).targetImage(new ImageRef("centos", "sha256:" + "a".repeat(64)))
                .deployId(name + "-1-x").deployPhase(DeployPhase.WRITING).bytesWritten(10).bytesTotal(20)
                .errorKind(FailureKind.TIMEOUT).errorMessage("slow").timing(Step.PREPARE_DEPLOY, 12)
                .inFlight(new InFlight(InFlight.Call.REBOOT, t)).updatedAt(t).build();
    }
}

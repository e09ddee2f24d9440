package dev.plinth.testkit;

import dev.plinth.store.NodeEvent;
import dev.plinth.store.StateStore;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.BmcSpec;
import dev.plinth.core.ImageRef;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.core.Step;
import dev.plinth.driver.DeployPhase;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.PowerState;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** What every {@link StateStore} must do; run against each implementation. */
public abstract class StateStoreContract {
    protected abstract StateStore store();

    public static NodeRecord record(String name, ProvisioningState state) {
        Instant t = Instant.parse("2026-11-25T10:00:00Z");
        return new NodeRecord.Builder(name).bmc(BmcSpec.of("ipmi://10.0.0.1:623", "bmc-" + name, false))
                .bootMACAddress("52:54:00:00:00:01").state(state).step(Step.WRITE_IMAGE).stepStartedAt(t)
                .powerState(PowerState.ON).targetImage(new ImageRef("centos", "sha256:" + "a".repeat(64)))
                .deployId(name + "-1-x").deployPhase(DeployPhase.WRITING).bytesWritten(10).bytesTotal(20)
                .errorKind(FailureKind.TIMEOUT).errorMessage("slow").timing(Step.PREPARE_DEPLOY, 12)
                .inFlight("Reboot").updatedAt(t).build();
    }

    @Test
    void aSavedRecordReadsBackEqual() {
        NodeRecord r = record("n1", ProvisioningState.PROVISIONING);
        store().saveNode(r, null);
        assertThat(store().loadNodes()).containsEntry("n1", r);
    }

    @Test
    void savingAgainReplacesAndDeletingRemoves() {
        store().saveNode(record("n1", ProvisioningState.PROVISIONING), null);
        NodeRecord done = record("n1", ProvisioningState.PROVISIONED);
        store().saveNode(done, null);
        store().saveNode(record("n2", ProvisioningState.AVAILABLE), null);
        assertThat(store().loadNodes()).hasSize(2).containsEntry("n1", done);
        store().deleteNode("n2", new NodeEvent(Instant.now(), "n2", "Forgotten", "left Git"));
        assertThat(store().loadNodes()).containsOnlyKeys("n1");
    }

    @Test
    void eventsComeBackOldestFirstAndLimited() {
        for (int i = 0; i < 5; i++) {
            store().saveNode(record("n1", ProvisioningState.PROVISIONING),
                    new NodeEvent(Instant.parse("2026-11-25T10:00:0" + i + "Z"), "n1", "State", "e" + i));
        }
        assertThat(store().events("n1", 3)).extracting(NodeEvent::message).containsExactly("e2", "e3", "e4");
        assertThat(store().events("other", 3)).isEmpty();
    }

    @Test
    void documentsAreKeptByKey() {
        assertThat(store().getDocument("revisions")).isEmpty();
        store().putDocument("revisions", "{\"a\":1}");
        store().putDocument("revisions", "{\"a\":2}");
        assertThat(store().getDocument("revisions")).contains("{\"a\":2}");
    }
}

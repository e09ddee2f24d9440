package dev.plinth.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.BmcSpec;
import dev.plinth.api.NodeStatus;
import dev.plinth.driver.BootDevice;
import dev.plinth.driver.DeployPhase;
import dev.plinth.driver.FailureKind;
import dev.plinth.driver.PowerState;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class NodeStatusMapperTest {
    private static final Instant T = Instant.parse("2026-11-25T10:00:00Z");

    @Test
    void everyPublicFieldComesFromItsSubRecord() {
        NodeRecord r = new NodeRecord.Builder("n1").bmc(BmcSpec.of("ipmi://10.0.0.1:623", "bmc-n1", false))
                .state(ProvisioningState.PROVISIONING).step(Step.WRITE_IMAGE).notBefore(T.plusSeconds(30))
                .timing(Step.PREPARE_DEPLOY, 12).timing(Step.SET_BOOT_PXE, 3).lastOperationMillis(99)
                .powerState(PowerState.ON).checkedAt(T.minusSeconds(60)).powerAssumed(true).bootDevice(BootDevice.PXE)
                .image(new ImageRef("old", "sha256:1"))
                .targetImage(new ImageRef("new", "sha256:2")).deployPhase(DeployPhase.WRITING).bytesWritten(10)
                .bytesTotal(40).deployMillis(Map.of("bootToAgent", 7L)).errorKind(FailureKind.TIMEOUT)
                .errorMessage("slow").errorCount(2).message("writing 25%").updatedAt(T).build();
        NodeStatus s = NodeStatusMapper.toStatus(r);
        assertThat(s).isEqualTo(new NodeStatus("PROVISIONING", "WRITE_IMAGE", "ON", T.minusSeconds(60), true, "PXE", "old", true,
                "new", "writing 25%",
                new NodeStatus.Error("TIMEOUT", "slow", 2, T.plusSeconds(30)),
                new NodeStatus.Progress("WRITING", 10, 40), Map.of("PREPARE_DEPLOY", 12L, "SET_BOOT_PXE", 3L),
                Map.of("bootToAgent", 7L), 99, T));
        assertThat(s.stepMillis().keySet()).containsExactly("PREPARE_DEPLOY", "SET_BOOT_PXE"); // step order
    }

    @Test
    void aNodeWithNothingGoingOnHasNoErrorAndNoProgress() {
        NodeStatus s = NodeStatusMapper.toStatus(new NodeRecord.Builder("n1").state(ProvisioningState.AVAILABLE)
                .updatedAt(T).build());
        assertThat(s.error()).isNull();
        assertThat(s.progress()).isNull();
        assertThat(s.step()).isNull();
        assertThat(s.power()).isEqualTo("UNKNOWN");
        assertThat(s.message()).isEmpty();
    }
}

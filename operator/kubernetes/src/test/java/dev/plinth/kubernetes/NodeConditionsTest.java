package dev.plinth.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.BmcSpec;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.driver.FailureKind;
import dev.plinth.kubernetes.crd.Condition;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Exactly one of Ready, Reconciling, Stalled is True, with the generation it describes. */
class NodeConditionsTest {
    static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");
    static final NodeRecord REGISTERING = NodeRecord.registering("ns/n", BmcSpec.of("ipmi://10.0.0.1", "c", false),
            "52:54:00:00:00:01", "fp", T0);

    @Test
    void aNodeAtWorkIsReconciling() {
        var c = NodeConditions.of(REGISTERING, false, null, null, 3);
        assertThat(trueOnes(c)).containsExactly("Reconciling");
        assertThat(c).allMatch(x -> x.observedGeneration == 3);
        assertThat(c.get(1).reason).isEqualTo("Registering");
    }

    @Test
    void aSettledNodeIsReady() {
        NodeRecord avail = REGISTERING.toBuilder().state(ProvisioningState.AVAILABLE).step(null).build();
        assertThat(trueOnes(NodeConditions.of(avail, true, null, null, 1))).containsExactly("Ready");
    }

    @Test
    void anErrorOrASpecProblemIsStalledWithItsReason() {
        NodeRecord err = REGISTERING.toBuilder().state(ProvisioningState.ERROR).step(null)
                .failedOperation(ProvisioningState.REGISTERING).errorKind(FailureKind.AUTHENTICATION)
                .errorMessage("CHECK_BMC: rejected").errorCount(1).build();
        var c = NodeConditions.of(err, false, null, null, 1);
        assertThat(trueOnes(c)).containsExactly("Stalled");
        assertThat(c.get(2).reason).isEqualTo("Authentication");
        assertThat(c.get(2).message).startsWith("CHECK_BMC: rejected");

        var p = NodeConditions.of(REGISTERING, false, "UnknownImage", "spec.image: no DiskImage \"x\"", 2);
        assertThat(trueOnes(p)).containsExactly("Stalled");
        assertThat(p.get(2).message).contains("no DiskImage");
    }

    @Test
    void aDriftTheOperatorWillNotHealIsStalledOneItHealsIsReconciling() {
        NodeRecord provisioned = REGISTERING.toBuilder().state(ProvisioningState.PROVISIONED).step(null).build();
        NodeRecord.Drift off = new NodeRecord.Drift("power", "ON", "OFF", T0, NodeRecord.Drift.REPORTED, 0, null);
        var reported = NodeConditions.of(provisioned.toBuilder().drift(off)
                .message("drift: power: expected ON, observed OFF; reported only (drift policy report)").build(),
                false, null, null, 4);
        assertThat(trueOnes(reported)).containsExactly("Stalled");
        assertThat(reported.get(2).reason).isEqualTo("DriftReported");
        assertThat(reported.get(2).message).contains("reported only");

        NodeRecord.Drift held = new NodeRecord.Drift("power", "ON", "OFF", T0, NodeRecord.Drift.HELD, 3, T0);
        assertThat(NodeConditions.of(provisioned.toBuilder().drift(held).build(), false, null, null, 4).get(2).reason)
                .isEqualTo("DriftHeld");

        NodeRecord.Drift healing = new NodeRecord.Drift("power", "ON", "OFF", T0, NodeRecord.Drift.HEALING, 1, T0);
        assertThat(trueOnes(NodeConditions.of(provisioned.toBuilder().drift(healing).build(), false, null, null, 4)))
                .containsExactly("Reconciling");
    }

    @Test
    void transitionTimesChangeOnlyWithTheStatus() {
        var before = NodeConditions.carryTransitionTimes(NodeConditions.of(REGISTERING, false, null, null, 1), null, T0);
        var same = NodeConditions.carryTransitionTimes(NodeConditions.of(REGISTERING, false, null, null, 2), before,
                T0.plusSeconds(5));
        assertThat(same).extracting(x -> x.lastTransitionTime).containsOnly(T0.toString());
        NodeRecord avail = REGISTERING.toBuilder().state(ProvisioningState.AVAILABLE).step(null).build();
        var ready = NodeConditions.carryTransitionTimes(NodeConditions.of(avail, true, null, null, 2), same,
                T0.plusSeconds(9));
        assertThat(ready.get(0).lastTransitionTime).isEqualTo(T0.plusSeconds(9).toString());
        assertThat(ready.get(2).lastTransitionTime).isEqualTo(T0.toString()); // Stalled stayed False
    }

    private static List<String> trueOnes(List<Condition> c) {
        return c.stream().filter(x -> x.status.equals("True")).map(x -> x.type).toList();
    }
}

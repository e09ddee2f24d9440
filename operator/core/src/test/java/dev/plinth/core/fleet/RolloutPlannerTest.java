package dev.plinth.core.fleet;

import static dev.plinth.core.fleet.RolloutWorld.V1;
import static dev.plinth.core.fleet.RolloutWorld.V2;
import static dev.plinth.core.fleet.RolloutWorld.V3;
import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.HealthCheck;
import dev.plinth.api.RolloutPolicy;
import dev.plinth.core.ImageRef;
import dev.plinth.core.fleet.RolloutState.Phase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class RolloutPlannerTest {

    /** One row: a role of 10 (or as set up) stable on V1, something done to it, V2 committed: the first batch. */
    record Row(String name, int nodes, int count, RolloutPolicy policy, Consumer<RolloutWorld> before,
            List<String> firstBatch) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Row> firstBatches() {
        return Stream.of(
                new Row("maxUnavailable 1: one node", 10, 10, new RolloutPolicy("1"), w -> {}, List.of("n00")),
                new Row("30% of 10: three nodes", 10, 10, new RolloutPolicy("30%"), w -> {},
                        List.of("n00", "n01", "n02")),
                new Row("5% of 10 rounds to at least one", 10, 10, new RolloutPolicy("5%"), w -> {},
                        List.of("n00")),
                new Row("a failed member goes first, costing no capacity", 10, 10, new RolloutPolicy("1"),
                        w -> w.fail("n05"), List.of("n05")),
                new Row("failed member plus one healthy within maxUnavailable 2", 10, 10, new RolloutPolicy("2"),
                        w -> w.fail("n05"), List.of("n00", "n05")),
                new Row("two lost nodes with maxUnavailable 2: only the lost ones move", 10, 10,
                        new RolloutPolicy("2"), w -> {
                            w.records.remove("n03");
                            w.records.remove("n04");
                        }, List.of("n03", "n04")),
                new Row("a drifted (powered off) node is unavailable", 4, 4, new RolloutPolicy("1"),
                        w -> w.records.put("n02", w.records.get("n02").toBuilder()
                                .powerState(dev.plinth.driver.PowerState.OFF).build()), List.of("n02")),
                new Row("partition: side a first", 6, 6, new RolloutPolicy("2", 0, "side", 0), w -> {},
                        List.of("n00", "n02")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("firstBatches")
    void theFirstBatch(Row row) {
        RolloutWorld w = new RolloutWorld(row.count(), row.policy());
        for (int i = 0; i < row.nodes(); i++) {
            w.nodes.add(RolloutWorld.node(String.format("n%02d", i), Map.of("side", i % 2 == 0 ? "a" : "b")));
        }
        w.stableOn(V1);
        row.before().accept(w);
        w.commit("r2", V2);
        RolloutPlanner.Decision d = w.step();
        assertThat(w.state.phase()).isEqualTo(Phase.ROLLING);
        assertThat(w.admittedNow()).containsExactlyElementsOf(row.firstBatch());
        row.firstBatch().forEach(n -> assertThat(d.images().get(n)).isEqualTo(V2));
        assertThat(d.images().entrySet().stream().filter(e -> !row.firstBatch().contains(e.getKey())))
                .as("members not admitted keep V1").allSatisfy(e -> assertThat(e.getValue()).isEqualTo(V1));
    }

    @Test
    void aGoodImageRollsInBatchesEachBehindItsGateAndBecomesStable() {
        RolloutWorld w = new RolloutWorld(5, new RolloutPolicy("2")).nodes(5).stableOn(V1);
        w.commit("r2", V2);
        List<List<String>> batches = new ArrayList<>();
        for (int i = 0; i < 20 && (i == 0 || w.state.phase() != Phase.STABLE); i++) {
            int before = i == 0 ? 0 : w.state.admitted().size();
            w.step();
            if (w.state.admitted().size() > before) {
                batches.add(w.state.admitted().keySet().stream().skip(0).toList().subList(before,
                        w.state.admitted().size()));
            }
            assertThat(w.last.available()).as("capacity never below count - maxUnavailable")
                    .isGreaterThanOrEqualTo(3);
            assertThat(w.state.admitted().size() - w.state.passed().size()).isLessThanOrEqualTo(2);
            w.converge();
        }
        assertThat(w.state.phase()).isEqualTo(Phase.STABLE);
        assertThat(w.state.stableImage()).isEqualTo(V2);
        assertThat(w.state.stableRevision()).isEqualTo("r2");
        assertThat(w.running(V2)).isEqualTo(5);
        assertThat(w.state.batch()).isEqualTo(3);
        assertThat(batches).as(batches.toString()).hasSize(3).allSatisfy(b -> assertThat(b.size()).isLessThanOrEqualTo(2));
        assertThat(w.last.events()).anySatisfy(e -> assertThat(e).contains("complete on 5 node(s)"));
    }

    @Test
    void plannedBatchesAreShownBeforeTheyMove() {
        RolloutWorld w = new RolloutWorld(5, new RolloutPolicy("2")).nodes(5).stableOn(V1);
        w.commit("r2", V2);
        RolloutPlanner.Decision d = w.step();
        assertThat(w.admittedNow()).containsExactly("n00", "n01");
        assertThat(d.batches()).containsExactly(List.of("n02", "n03"), List.of("n04"));
        assertThat(d.waiting()).isNull();
        assertThat(w.step().waiting()).isEqualTo("waiting for the health gate of batch 1");
    }

    @Test
    void theFirstRolloutOfANewRoleStartsWithACanaryThenTakesTheRest() {
        RolloutWorld w = new RolloutWorld(6, new RolloutPolicy("1")).nodes(6);
        w.step();
        assertThat(w.admittedNow()).as("canary: one node, though none is available").containsExactly("n00");
        assertThat(w.last.images()).containsOnlyKeys("n00");
        w.converge();
        w.step();
        assertThat(w.state.passed()).containsExactly("n00");
        assertThat(w.admittedNow()).as("after the canary passed, every unavailable node at once").hasSize(6);
        w.converge();
        w.step();
        assertThat(w.state.phase()).isEqualTo(Phase.STABLE);
        assertThat(w.state.stableImage()).isEqualTo(V1);
    }

    @Test
    void aBrokenImageFailsTheCanaryAndRollsBackToTheStableImageThenIsHeldUntilANewCommit() {
        RolloutWorld w = new RolloutWorld(4, new RolloutPolicy("1")).nodes(4).stableOn(V1);
        w.commit("r2", V2);
        w.step();
        assertThat(w.admittedNow()).containsExactly("n00");
        w.fail("n00"); // the image fails verification
        w.step();
        assertThat(w.state.phase()).isEqualTo(Phase.ROLLING_BACK);
        assertThat(w.state.failure().revision()).isEqualTo("r2");
        assertThat(w.state.failure().deployFailed()).isTrue();
        assertThat(w.state.failure().reason()).contains("n00: deploy failed: checksum mismatch");
        assertThat(w.last.images()).as("every member is told V1 again").containsOnly(
                Map.entry("n00", V1), Map.entry("n01", V1), Map.entry("n02", V1), Map.entry("n03", V1));
        assertThat(w.last.events()).anySatisfy(e -> assertThat(e).contains("revision r2 failed its health gate")
                .contains("rolling back to os-v1 (revision r1)"));
        w.converge();
        w.step();
        assertThat(w.state.phase()).isEqualTo(Phase.STABLE);
        assertThat(w.running(V1)).isEqualTo(4);

        w.commit("r3", V2); // a newer commit with the same image: still held
        w.step();
        assertThat(w.state.admitted()).allSatisfy((n, t) -> assertThat(w.last.images().get(n)).isEqualTo(V1));
        assertThat(w.last.images().values()).containsOnly(V1);
        assertThat(w.last.waiting()).startsWith("held: revision r2 failed");

        w.commit("r4", V3); // a different image is tried
        w.step();
        assertThat(w.state.phase()).isEqualTo(Phase.ROLLING);
        assertThat(w.last.images().get("n00")).isEqualTo(V3);
    }

    @Test
    void aRollbackSlowerThanTheGateTimeoutStillCompletes() {
        // the canary never checks in on V2 (the lab's broken image): it fails at the timeout and is told V1 again;
        // its deploy of V1 may take longer than timeoutSeconds itself (a slow machine): the rollback's gate is the
        // check-in, whenever it comes, not the rollout's timeout, or the role would stay ROLLING_BACK for ever
        HealthCheck check = new HealthCheck(true, null, 60);
        RolloutWorld w = new RolloutWorld(2, new RolloutPolicy("1"), check).nodes(2).stableOn(V1);
        w.commit("r2", V2);
        w.step();
        assertThat(w.admittedNow()).containsExactly("n00");
        w.busy("n00", V2); // written, booted, never checks in
        w.now = w.now.plusSeconds(61);
        w.step();
        assertThat(w.state.phase()).isEqualTo(Phase.ROLLING_BACK);
        assertThat(w.state.failure().reason()).contains("n00: no health within 60 s: not running os-v2");
        assertThat(w.last.images()).containsEntry("n00", V1).containsEntry("n01", V1);
        w.busy("n00", V1);
        for (int i = 0; i < 5; i++) { // 150 s on V1's deploy: more than the gate's 60 s
            w.now = w.now.plusSeconds(30);
            w.step();
            assertThat(w.state.phase()).isEqualTo(Phase.ROLLING_BACK);
            assertThat(w.state.failed()).as("a rollback has no timeout of its own").isEmpty();
        }
        w.settle("n00", V1);
        w.step();
        assertThat(w.state.phase()).isEqualTo(Phase.STABLE);
        assertThat(w.state.stableImage()).isEqualTo(V1);
        assertThat(w.state.failure().revision()).isEqualTo("r2");
    }

    @Test
    void aProbeThatNeverSucceedsFailsTheGateAtItsTimeout() {
        HealthCheck check = new HealthCheck(true, 22, null, "/", "{node}", 60);
        RolloutWorld w = new RolloutWorld(3, new RolloutPolicy("1"), check).nodes(3);
        // stable on V1 with probes answering
        w.nodes.forEach(n -> w.settle(n.name(), V1));
        w.nodes.forEach(n -> w.probes.put(n.name(), new ProbeResult(true, "ok", w.now.plusSeconds(1))));
        for (int i = 0; i < 5; i++) {
            w.step();
            w.now = w.now.plusSeconds(1);
            w.nodes.forEach(n -> w.probes.put(n.name(), new ProbeResult(true, "ok", w.now)));
        }
        assertThat(w.state.phase()).isEqualTo(Phase.STABLE);
        w.commit("r2", V2);
        w.step();
        w.converge();
        w.probes.put("n00", new ProbeResult(false, "connection refused", w.now.plusSeconds(5)));
        w.step();
        assertThat(w.last.toProbe()).containsExactly("n00");
        assertThat(w.state.phase()).isEqualTo(Phase.ROLLING);
        w.now = w.now.plusSeconds(61);
        w.step();
        assertThat(w.state.phase()).isEqualTo(Phase.ROLLING_BACK);
        assertThat(w.state.failure().reason()).contains("probe connection refused");
        assertThat(w.state.failure().deployFailed()).isFalse();
        assertThat(w.last.images().get("n00")).isEqualTo(V1);
        w.converge(); // back on V1, the probe still refused: the rollback needs only the check-in
        w.step();
        assertThat(w.state.phase()).isEqualTo(Phase.STABLE);
        assertThat(w.state.stableImage()).isEqualTo(V1);
    }

    @Test
    void failuresWithinMaxFailuresAreToleratedAndCountAgainstCapacity() {
        RolloutWorld w = new RolloutWorld(4, new RolloutPolicy("2", 0, null, 1)).nodes(4).stableOn(V1);
        w.commit("r2", V2);
        w.step();
        assertThat(w.admittedNow()).containsExactly("n00", "n01");
        w.converge();
        w.fail("n00");
        w.step();
        assertThat(w.state.phase()).as("one failure is within maxFailures 1").isEqualTo(Phase.ROLLING);
        assertThat(w.state.failed()).containsOnlyKeys("n00");
        assertThat(w.state.passed()).containsExactly("n01");
        assertThat(w.admittedNow()).as("failed n00 is unavailable: one more healthy node may move, not two")
                .containsExactly("n00", "n01", "n02");
        w.fail("n02");
        w.step();
        assertThat(w.state.phase()).as("the second failure is beyond the policy").isEqualTo(Phase.ROLLING_BACK);
        assertThat(w.state.failure().reason()).contains("n00").contains("n02");
    }

    @Test
    void aPauseHoldsTheNextBatch() {
        RolloutWorld w = new RolloutWorld(3, new RolloutPolicy("1")).nodes(3).stableOn(V1);
        w.role = new dev.plinth.api.CloudRole("compute", 3, w.role.nodeSelector(), w.role.image(),
                new RolloutPolicy("1", 30, null, 0), w.role.healthCheck());
        w.commit("r2", V2);
        w.step();
        w.converge();
        w.step();
        assertThat(w.state.passed()).containsExactly("n00");
        assertThat(w.state.pausedUntil()).isEqualTo(w.now.plusSeconds(30));
        assertThat(w.admittedNow()).containsExactly("n00");
        w.now = w.now.plusSeconds(29);
        assertThat(w.step().waiting()).startsWith("paused until");
        w.now = w.now.plusSeconds(1);
        w.step();
        assertThat(w.admittedNow()).containsExactly("n00", "n01");
    }

    @Test
    void partitionRollsOneSideWhole() {
        RolloutWorld w = new RolloutWorld(4, new RolloutPolicy("1", 0, "side", 0));
        for (int i = 0; i < 4; i++) {
            w.nodes.add(RolloutWorld.node("n" + i, Map.of("side", i < 2 ? "b" : "a")));
        }
        w.stableOn(V1);
        w.commit("r2", V2);
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 20 && (i == 0 || w.state.phase() != Phase.STABLE); i++) {
            w.step();
            w.state.admitted().keySet().stream().filter(n -> !order.contains(n)).forEach(order::add);
            w.converge();
        }
        assertThat(order).containsExactly("n2", "n3", "n0", "n1");
    }

    @Test
    void anImageThatFailedToDeployInOneRoleIsHeldInAnother() {
        RolloutWorld w = new RolloutWorld(2, new RolloutPolicy("1")).nodes(2).stableOn(V1);
        w.held.put(ImageRef.of(V2), "failed to deploy in role c/storage (revision r2)");
        w.commit("r2", V2);
        w.step();
        assertThat(w.state.phase()).isEqualTo(Phase.STABLE);
        assertThat(w.last.images().values()).containsOnly(V1);
        assertThat(w.last.waiting()).isEqualTo("held: image os-v2 failed to deploy in role c/storage (revision r2)");
    }

    @Test
    void aFirstRolloutThatFailsLeavesTheRoleHeldWithoutAnImage() {
        RolloutWorld w = new RolloutWorld(3, new RolloutPolicy("1")).nodes(3);
        w.step();
        w.fail("n00");
        w.step();
        assertThat(w.state.phase()).isEqualTo(Phase.HELD);
        assertThat(w.last.images()).as("no member runs anything: none is told an image").isEmpty();
        assertThat(w.last.events()).anySatisfy(e -> assertThat(e).contains("held: no stable image"));
    }

    @Test
    void afterLosingTheStoreAnAdoptedFleetIsStableAtOnceAndKeepsItsImage() {
        RolloutWorld w = new RolloutWorld(3, new RolloutPolicy("1")).nodes(3);
        w.nodes.forEach(n -> w.records.put(n.name(), RolloutWorld.settled(n.name(), V1).toBuilder()
                .imageUnverified(true).build()));
        RolloutPlanner.Decision d = w.step();
        assertThat(w.state.phase()).isEqualTo(Phase.STABLE);
        assertThat(d.images()).hasSize(3).allSatisfy((n, i) -> assertThat(i).isEqualTo(V1));
    }

    @Test
    void aFailedFirstRolloutLeavesMembersWithWhatTheyRun() {
        RolloutWorld w = new RolloutWorld(3, new RolloutPolicy("1")).nodes(3);
        w.settle("n02", V1); // already runs the role's image (adopted, or written before)
        w.commit("r1", V1);
        w.step();
        assertThat(w.admittedNow()).containsExactly("n00");
        w.fail("n00");
        w.step();
        assertThat(w.state.phase()).isEqualTo(Phase.HELD);
        assertThat(w.last.images()).as("n02 keeps what it runs; nobody else is told an image")
                .containsExactly(Map.entry("n02", V1));
    }

    @Test
    void theSamePlanTwiceChangesNothing() {
        RolloutWorld w = new RolloutWorld(5, new RolloutPolicy("2")).nodes(5).stableOn(V1);
        w.commit("r2", V2);
        w.step();
        RolloutState s = w.state;
        w.step();
        assertThat(w.state).isEqualTo(s);
        assertThat(w.last.events()).isEmpty();
    }
}

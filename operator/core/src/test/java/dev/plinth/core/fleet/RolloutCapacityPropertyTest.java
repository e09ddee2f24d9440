package dev.plinth.core.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.plinth.api.DiskImage;
import dev.plinth.api.RolloutPolicy;
import dev.plinth.core.ImageRef;
import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.core.Resources;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The capacity invariant over random histories: commits of good and bad images, deploys that fail, nodes lost and
 * back, time passing. Whatever happens, the planner itself never takes a healthy node out of service while that
 * leaves fewer than {@code count - maxUnavailable} available: every node it newly admits is either already
 * unavailable (failed, lost, busy) or fits in the room above that floor. Seeded, so a failure repeats.
 */
class RolloutCapacityPropertyTest {

    @Test
    void thePlannerNeverTakesCapacityBelowCountMinusMaxUnavailable() {
        for (long seed = 1; seed <= 200; seed++) {
            history(new Random(seed), seed);
        }
    }

    private static void history(Random rnd, long seed) {
        int count = 3 + rnd.nextInt(10);
        String max = rnd.nextBoolean() ? Integer.toString(1 + rnd.nextInt(3)) : (10 + rnd.nextInt(50)) + "%";
        RolloutPolicy policy = new RolloutPolicy(max, rnd.nextInt(3) == 0 ? 5 : 0,
                rnd.nextInt(4) == 0 ? "side" : null, rnd.nextInt(2));
        RolloutWorld w = new RolloutWorld(count, policy);
        for (int i = 0; i < count + rnd.nextInt(3); i++) {
            w.nodes.add(RolloutWorld.node(String.format("n%02d", i), java.util.Map.of("side", "s" + (i % 2))));
        }
        int floor = count - policy.maxUnavailableOf(count);
        Set<ImageRef> bad = new HashSet<>();
        int images = 0;
        for (int t = 0; t < 200; t++) {
            int event = rnd.nextInt(20);
            if (event == 0) {
                DiskImage next = Resources.image("os-" + (++images), (char) ('a' + images % 26));
                if (rnd.nextInt(3) == 0) {
                    bad.add(ImageRef.of(next));
                }
                w.commit("r" + t, next);
            } else if (event == 1 && !w.nodes.isEmpty()) {
                w.records.remove(w.nodes.get(rnd.nextInt(w.nodes.size())).name()); // lost
            } else if (event == 2 && !w.nodes.isEmpty()) {
                w.fail(w.nodes.get(rnd.nextInt(w.nodes.size())).name());
            }
            w.now = w.now.plusSeconds(rnd.nextInt(4));
            RolloutState before = w.state;
            RolloutPlanner.Decision d = w.step();
            // what the plan leaves available: members settled on what they are told, gated if admitted
            long after = w.state.members().stream().filter(m -> {
                DiskImage told = d.images().get(m);
                NodeRecord r = w.records.get(m);
                return told != null && r != null && Settled.settled(r, told, true)
                        && (!w.state.admitted().containsKey(m) || w.state.passed().contains(m));
            }).count();
            if (w.state.phase() == RolloutState.Phase.ROLLING) {
                assertThat(after).as("seed %d step %d: %s", seed, t, w.state)
                        .isGreaterThanOrEqualTo(Math.min(d.available(), floor));
            }
            assertThat((long) d.available()).as("seed %d step %d: the planner's own count", seed, t)
                    .isGreaterThanOrEqualTo(after);
            // the world acts on the plan: admitted nodes deploy (bad images fail), others stay
            for (var e : d.images().entrySet()) {
                NodeRecord r = w.records.get(e.getKey());
                boolean runs = r != null && r.state() == ProvisioningState.PROVISIONED
                        && ImageRef.of(e.getValue()).equals(r.image());
                if (!runs && rnd.nextInt(3) > 0) {
                    if (bad.contains(ImageRef.of(e.getValue()))) {
                        w.fail(e.getKey());
                    } else {
                        w.settle(e.getKey(), e.getValue());
                    }
                }
            }
            if (rnd.nextInt(10) == 0 && !w.nodes.isEmpty()) {
                String n = w.nodes.get(rnd.nextInt(w.nodes.size())).name();
                if (!w.records.containsKey(n) && w.state.stableImage() != null) {
                    w.settle(n, w.state.stableImage()); // back
                }
            }
            assertThat(w.state.members()).as("seed %d", seed).hasSizeLessThanOrEqualTo(count);
        }
    }
}

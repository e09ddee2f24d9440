package dev.plinth.diff;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.DesiredState;
import dev.plinth.core.fleet.RoleResolver;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Whether a revision would take too many machines out of service at once to be applied without a person saying so.
 * Pure: compares the revision in force with the new one.
 *
 * <p>A machine is taken out of service when it runs an image, powered on, in the revision in force and the new one
 * deprovisions it (it left Git), stops giving it an image (it is powered off and kept available), or sets
 * {@code online: false}, or moves it to another Cloud role (or out of its role, or into one): it is wiped and
 * provisioned again for the other. A machine that left Git is counted even if it ran nothing: it is forgotten.
 * Re-imaging within a role is not counted: that is the rollout's business.
 *
 * @param maxCount at most this many machines may be taken out at once without approval
 * @param maxPercent at most this share (0..100) of the machines in force may be taken out at once without approval
 */
public record RemovalGuard(int maxCount, int maxPercent) {
    /** More than 10 machines, or more than half of the fleet (with at least 2 machines), needs approval. */
    public static final RemovalGuard DEFAULT = new RemovalGuard(10, 50);
    /** Never holds: for tests and benchmarks that remove whole fleets on purpose. */
    public static final RemovalGuard OFF = new RemovalGuard(Integer.MAX_VALUE, 100);

    public RemovalGuard {
        if (maxCount < 0) {
            throw new IllegalArgumentException("the removal limit must be 0 or more machines, got " + maxCount);
        }
        if (maxPercent < 0 || maxPercent > 100) {
            throw new IllegalArgumentException("the removal share must be 0..100%, got " + maxPercent);
        }
    }

    /**
     * The machines a revision would take out of service, and why it must wait for approval.
     *
     * @param machines names, each with what would happen ({@code node-3: deprovision})
     */
    public record Hold(String reason, List<String> machines) {
        public Hold {
            machines = List.copyOf(machines);
        }
    }

    /** The hold the new revision needs, or empty when it may be applied at once. Nothing in force: never held. */
    public Optional<Hold> check(DesiredState current, DesiredState next) {
        return check(current, next, "plinth approve " + next.revision());
    }

    /**
     * As {@link #check(DesiredState, DesiredState)}, the reason naming {@code approveWith}, the one command that
     * approves the revision where the host is not the standalone controller (the operator: a kubectl annotate).
     */
    public Optional<Hold> check(DesiredState current, DesiredState next, String approveWith) {
        if (current == null || current.nodes().isEmpty()) {
            return Optional.empty();
        }
        List<String> out = disruptions(current, next);
        int total = current.nodes().size();
        // one machine is never "many at once", whatever share of a tiny fleet it is
        boolean overCount = out.size() > maxCount;
        boolean overShare = out.size() >= 2 && (long) out.size() * 100 > (long) maxPercent * total;
        if (!overCount && !overShare) {
            return Optional.empty();
        }
        String reason = "would take " + out.size() + " of " + total + " machines out of service at once (limit: "
                + (maxCount == Integer.MAX_VALUE ? "" : maxCount + " machines and ") + maxPercent
                + "%); approve it with `" + approveWith + "`";
        return Optional.of(new Hold(reason, out));
    }

    /** Each machine the new revision takes out of service, as {@code name: what}, in name order. */
    static List<String> disruptions(DesiredState current, DesiredState next) {
        List<String> out = new ArrayList<>();
        for (BareMetalNode before : current.nodes().values()) {
            BareMetalNode after = next.nodes().get(before.name());
            if (after == null) {
                out.add(before.name() + ": deprovision");
                continue;
            }
            boolean ran = before.spec().online() && RoleResolver.imageFor(current, before).isPresent();
            if (!ran) {
                continue;
            }
            RoleResolver.Placement was = RoleResolver.place(current, before);
            RoleResolver.Placement is = RoleResolver.place(next, after);
            if (is.image() == null) {
                out.add(before.name() + ": wipe and power off (no image)");
            } else if (!after.spec().online()) {
                out.add(before.name() + ": power off (online: false)");
            } else if (!java.util.Objects.equals(was.role(), is.role())) {
                out.add(before.name() + ": move from " + (was.role() == null ? "no role" : was.role()) + " to "
                        + (is.role() == null ? "no role" : is.role()) + " (wiped and provisioned again)");
            }
        }
        out.sort(null);
        return out;
    }
}

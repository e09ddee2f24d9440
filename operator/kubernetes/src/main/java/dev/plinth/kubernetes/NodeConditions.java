package dev.plinth.kubernetes;

import dev.plinth.core.NodeRecord;
import dev.plinth.core.ProvisioningState;
import dev.plinth.kubernetes.crd.Condition;
import java.time.Instant;
import java.util.List;

/**
 * The kstatus conditions of a node, decided from its record alone (pure): exactly one of Ready, Reconciling and
 * Stalled is True, so that Flux and Argo CD read Current, InProgress or Failed.
 */
public final class NodeConditions {
    public static final String READY = "Ready";
    public static final String RECONCILING = "Reconciling";
    public static final String STALLED = "Stalled";

    private static final String REPORTED = NodeRecord.Drift.REPORTED;

    private NodeConditions() {}

    /**
     * @param settled whether the node is where its spec asks ({@code fleet.Settled})
     * @param problem a spec problem the operator cannot act on (unknown image, address no driver serves); null
     *     when none
     */
    public static List<Condition> of(NodeRecord rec, boolean settled, String problemReason, String problem,
            long generation) {
        if (problem != null) {
            return three(generation, STALLED, problemReason, problem);
        }
        if (rec == null) {
            return three(generation, RECONCILING, "Registering", "waiting for the first reconcile pass");
        }
        if (rec.state() == ProvisioningState.ERROR) {
            String kind = rec.error().kind() == null ? "Error" : camel(rec.error().kind().name());
            return three(generation, STALLED, kind, rec.error().message() + retry(rec));
        }
        NodeRecord.Drift drift = rec.drift();
        if (drift.seen() && !NodeRecord.Drift.HEALING.equals(drift.action()) && drift.action() != null) {
            // reported (policy report) or held (heal rate limit): the operator will not put it right, a person
            // must; Reconciling would read as "wait, it is coming"
            return three(generation, STALLED, REPORTED.equals(drift.action()) ? "DriftReported" : "DriftHeld",
                    rec.message().isEmpty() ? "drift: " + drift : rec.message());
        }
        if (settled) {
            String what = rec.image() == null ? "available, no image to run"
                    : rec.state() + " with " + rec.image().name();
            return three(generation, READY, camel(rec.state().name()), what);
        }
        String doing = rec.state() + (rec.operation().step() == null ? "" : ": " + rec.operation().step());
        return three(generation, RECONCILING, camel(rec.state().name()),
                rec.message().isEmpty() ? doing : doing + " (" + rec.message() + ")");
    }

    /** Keeps lastTransitionTime of conditions whose status did not change. */
    public static List<Condition> carryTransitionTimes(List<Condition> next, List<Condition> previous, Instant now) {
        for (Condition c : next) {
            Condition before = previous == null ? null : previous.stream()
                    .filter(p -> c.type.equals(p.type)).findFirst().orElse(null);
            c.lastTransitionTime = before != null && c.status.equals(before.status) && before.lastTransitionTime != null
                    ? before.lastTransitionTime : now.toString();
        }
        return next;
    }

    private static List<Condition> three(long generation, String trueOne, String reason, String message) {
        return List.of(
                new Condition(READY, READY.equals(trueOne), reason, message, generation),
                new Condition(RECONCILING, RECONCILING.equals(trueOne), reason, message, generation),
                new Condition(STALLED, STALLED.equals(trueOne), reason, message, generation));
    }

    private static String retry(NodeRecord rec) {
        Instant at = rec.operation().notBefore();
        return at == null ? "" : "; retried at " + at + " or at once when the spec or its credentials Secret changes";
    }

    /** AUTHENTICATION -> Authentication: condition reasons are CamelCase. */
    static String camel(String enumName) {
        StringBuilder b = new StringBuilder();
        for (String part : enumName.toLowerCase(java.util.Locale.ROOT).split("_")) {
            if (!part.isEmpty()) {
                b.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
        }
        return b.toString();
    }
}

package dev.plinth.kubernetes;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This replica's part in leader election, for what must follow the Lease beside JOSDK's controllers: the agent
 * service (built from the registry Secret only when this replica leads) and the leader label of its pod. JOSDK runs
 * these callbacks before its own: a new leader has loaded the registry before its first reconcile. Without leader
 * election the operator leads from its start.
 */
final class Leadership {
    private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

    /** What follows the Lease. Called on the leader-election thread; a failure is logged, not propagated. */
    interface Listener {
        /** @param previous the identity that held the Lease before this replica (null when unknown or none) */
        void startedLeading(String previous);

        default void stoppedLeading() {}
    }

    private final String identity;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private volatile String lastOtherLeader;
    private volatile boolean leading;

    /** @param identity this replica's identity in the Lease (null: none, or no leader election) */
    Leadership(String identity) {
        this.identity = identity;
    }

    /** Listeners run in the order added: the agent before the pod label, so the label points at a ready leader. */
    void add(Listener l) {
        listeners.add(l);
    }

    boolean leading() {
        return leading;
    }

    LeaderCallbacks callbacks() {
        return new LeaderCallbacks(this::start, this::stop, this::observed);
    }

    void start() {
        leading = true;
        String previous = lastOtherLeader;
        LOG.info("leading{}", previous == null ? "" : " (taking over from " + previous + ")");
        for (Listener l : listeners) {
            try {
                l.startedLeading(previous);
            } catch (RuntimeException e) {
                LOG.error("on taking the lead, {}: {}", l, e.toString(), e);
            }
        }
    }

    void stop() {
        leading = false;
        for (Listener l : listeners) {
            try {
                l.stoppedLeading();
            } catch (RuntimeException e) {
                LOG.warn("on losing the lead, {}: {}", l, e.toString());
            }
        }
    }

    private void observed(String leader) {
        if (leader != null && !leader.equals(identity)) {
            lastOtherLeader = leader;
        }
    }
}

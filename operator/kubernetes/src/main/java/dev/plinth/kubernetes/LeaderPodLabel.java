package dev.plinth.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The label {@code plinth.dev/leader} on the operator's pods, which the chart's provisioning Service selects so that
 * machines reach the leader: {@code "true"} on the leader's own pod when it takes the Lease, {@code "false"} on the
 * previous holder's pod (it may live on, restarted as a standby: labels outlive containers) and on every replica's
 * own pod when it starts. Merge patches of one label, by pod name: RBAC needs {@code patch} on pods only. A failed
 * patch is logged and leaves the routes as they were: a replica that does not lead answers machines 503 anyway.
 */
final class LeaderPodLabel implements Leadership.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderPodLabel.class);
    static final String LABEL = "plinth.dev/leader";

    private final KubernetesClient client;
    private final String namespace;
    private final String pod;

    LeaderPodLabel(KubernetesClient client, String namespace, String pod) {
        this.client = client;
        this.namespace = namespace;
        this.pod = pod;
    }

    /** Marks this replica's pod as no leader: a restarted pod keeps the labels it had. */
    void standBy() {
        set(pod, false);
    }

    @Override
    public void startedLeading(String previous) {
        set(pod, true);
        if (previous != null && !previous.equals(pod)) {
            set(previous, false);
        }
    }

    private void set(String name, boolean leader) {
        String patch = "{\"metadata\":{\"labels\":{\"" + LABEL + "\":\"" + leader + "\"}}}";
        try {
            client.pods().inNamespace(namespace).withName(name).patch(PatchContext.of(PatchType.JSON_MERGE), patch);
            LOG.info("pod {}/{} labelled {}={}", namespace, name, LABEL, leader);
        } catch (KubernetesClientException e) {
            // 404: the previous leader's pod is gone; 403: RBAC without pods/patch
            LOG.warn("cannot label pod {}/{} {}={}: {} {}", namespace, name, LABEL, leader, e.getCode(),
                    e.getStatus() == null ? e.getMessage() : e.getStatus().getMessage());
        }
    }

    @Override
    public String toString() {
        return "leader label of pod " + namespace + "/" + pod;
    }
}

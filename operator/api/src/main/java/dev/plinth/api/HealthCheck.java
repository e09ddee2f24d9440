package dev.plinth.api;

/**
 * What proves a node of a role healthy after a rollout step: its new OS checked in, and the probes the controller
 * makes to it succeed, all within {@code timeoutSeconds} of the node's admission to the rollout.
 *
 * @param tcpPort a port that must accept a TCP connection; null: no TCP probe
 * @param httpPort a port answering {@code GET httpPath} with a 2xx status; null: no HTTP probe
 * @param httpPath the path of the HTTP probe (default "/")
 * @param host the host probed; {@code {node}} is replaced by the node's name (default "{node}": its name in DNS)
 */
public record HealthCheck(boolean checkIn, Integer tcpPort, Integer httpPort, String httpPath, String host,
        int timeoutSeconds) {
    public static final String NODE = "{node}";
    public static final HealthCheck DEFAULT = new HealthCheck(true, null, 600);

    public HealthCheck(boolean checkIn, Integer tcpPort, int timeoutSeconds) {
        this(checkIn, tcpPort, null, "/", NODE, timeoutSeconds);
    }

    /** Whether the controller probes anything beyond the check-in. */
    public boolean probes() {
        return tcpPort != null || httpPort != null;
    }

    /** The host to probe for {@code node}. */
    public String hostOf(String node) {
        return (host == null ? NODE : host).replace(NODE, node);
    }
}

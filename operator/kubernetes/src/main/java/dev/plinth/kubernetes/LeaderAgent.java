package dev.plinth.kubernetes;

import dev.plinth.agent.AgentService;
import dev.plinth.agent.Inventory;
import dev.plinth.driver.BootDriver;
import dev.plinth.driver.DeployDriver;
import dev.plinth.driver.DeployProgress;
import dev.plinth.driver.DeployRequest;
import dev.plinth.driver.DriverException;
import dev.plinth.driver.NodeTarget;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent service of the replica that leads. Its registry of open deploys is read from the Secret once, when the
 * service is made, and kept in memory after; a standby's copy would be stale the moment the leader changes it. So
 * the service is made when this replica takes the Lease (before its first reconcile), and until then the
 * machine-facing routes answer 503 with {@code Retry-After}: a machine that reached a standby sees what it would
 * with no controller, rather than being told "local boot" from an old registry. The drivers the reconciler holds are this class, which hands each
 * call to the service (only the leader reconciles, so the service exists by then; made on first use otherwise).
 */
final class LeaderAgent implements BootDriver, DeployDriver, Leadership.Listener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LeaderAgent.class);
    /** What a machine that reached a replica not (yet) serving is told to wait, in seconds. */
    static final String RETRY_AFTER = "5";

    private final Supplier<AgentService> factory;
    private final Consumer<AgentService> mount;
    private AgentService agent; // guarded by this
    private volatile boolean made;
    private volatile boolean leading;

    /**
     * @param factory makes the agent service (loading the registry); called once
     * @param mount puts the service's routes on the listeners' routers, behind {@link #gate}
     */
    LeaderAgent(Supplier<AgentService> factory, Consumer<AgentService> mount) {
        this.factory = factory;
        this.mount = mount;
    }

    /** First on every machine-facing router: passes requests on only while this replica leads with its service. */
    void gate(RoutingContext ctx) {
        if (serving()) {
            ctx.next();
        } else {
            ctx.response().setStatusCode(503).putHeader("Retry-After", RETRY_AFTER)
                    .putHeader("Content-Type", "text/plain").end("not the leading replica; try again\n");
        }
    }

    /** Puts the gate in front of {@code router}'s routes; call before mounting any. */
    void guard(Router router) {
        router.route().handler(this::gate);
    }

    /** While this replica leads and its service is made (if making it failed here, the first reconcile retries). */
    boolean serving() {
        return leading && made;
    }

    @Override
    public void startedLeading(String previous) {
        leading = true;
        service();
        LOG.info("agent routes served by this replica");
    }

    @Override
    public void stoppedLeading() {
        leading = false;
        LOG.info("agent routes answer 503: this replica no longer leads");
    }

    /** The service, made (the registry loaded, its routes mounted) on first use. */
    synchronized AgentService service() {
        if (agent == null) {
            AgentService fresh = factory.get();
            mount.accept(fresh);
            agent = fresh;
            made = true;
        }
        return agent;
    }

    /** The inventory the service holds; empty before it is made (a standby writes no status anyway). */
    Optional<Inventory> inventory(String node) {
        AgentService a;
        synchronized (this) {
            a = agent;
        }
        return a == null ? Optional.empty() : a.inventory(node);
    }

    /** Whether an image may go to a deploy token: only through a service that is made. */
    boolean mayFetchImage(String file, String deployToken) {
        AgentService a;
        synchronized (this) {
            a = agent;
        }
        return a != null && a.mayFetchImage(file, deployToken);
    }

    // --- the drivers, handed on ---

    @Override
    public void prepareDeployBoot(NodeTarget node, DeployRequest deploy) throws DriverException {
        service().prepareDeployBoot(node, deploy);
    }

    @Override
    public void openDeployBootWindow(NodeTarget node) throws DriverException {
        service().openDeployBootWindow(node);
    }

    @Override
    public String publishDeployMedia(NodeTarget node) throws DriverException {
        return service().publishDeployMedia(node);
    }

    @Override
    public void prepareLocalBoot(NodeTarget node) throws DriverException {
        service().prepareLocalBoot(node);
    }

    @Override
    public void cleanUp(NodeTarget node) throws DriverException {
        service().cleanUp(node);
    }

    @Override
    public void start(NodeTarget node, DeployRequest deploy) throws DriverException {
        service().start(node, deploy);
    }

    @Override
    public DeployProgress observe(NodeTarget node, String deployId) throws DriverException {
        return service().observe(node, deployId);
    }

    @Override
    public boolean checkedIn(NodeTarget node, String deployId) throws DriverException {
        return service().checkedIn(node, deployId);
    }

    @Override
    public Optional<String> provenImage(NodeTarget node) throws DriverException {
        return service().provenImage(node);
    }

    @Override
    public void finish(NodeTarget node, String deployId) throws DriverException {
        service().finish(node, deployId);
    }

    @Override
    public synchronized void close() {
        leading = false;
        if (agent != null) {
            agent.close();
        }
    }

    @Override
    public String toString() {
        return "agent service (leader only)";
    }
}

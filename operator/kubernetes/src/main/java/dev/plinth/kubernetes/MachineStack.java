package dev.plinth.kubernetes;

import dev.plinth.agent.AgentService;
import dev.plinth.api.BmcAddress;
import dev.plinth.driver.BmcAddressRules;
import dev.plinth.driver.Drivers;
import dev.plinth.driver.NodeWaker;
import dev.plinth.driver.bmc.BmcPowerDrivers;
import dev.plinth.driver.ipmi.IpmiPowerDriver;
import dev.plinth.driver.redfish.RedfishClientConfig;
import dev.plinth.driver.redfish.RedfishPowerDriver;
import dev.plinth.driver.redfish.Tls;
import dev.plinth.http.server.Listener;
import dev.plinth.image.ImageCache;
import dev.plinth.store.DeployRegistryStore;
import dev.plinth.tls.ProvisioningTls;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The real-machine drivers of the operator, as standalone's {@code --driver ipmi} wires them: power by the BMC
 * address's scheme (IPMI, Redfish), network boot and deploy through the {@link AgentService}, images through the
 * {@link ImageCache}; and the two machine-facing listeners: plain HTTP for what iPXE fetches (script, kernel,
 * ramdisk, the CA), HTTPS under the controller CA for everything that carries a token or an image. Both answer
 * 503 until this replica leads ({@link LeaderAgent}).
 */
final class MachineStack implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MachineStack.class);
    final Drivers drivers;
    final ImageCache images;
    final LeaderAgent agent;
    final BmcAddressRules rules;
    private final List<AutoCloseable> closeables = new ArrayList<>(); // closed in reverse order of opening
    private Listener plain;
    private Listener secure;

    private MachineStack(Drivers drivers, ImageCache images, LeaderAgent agent, BmcAddressRules rules) {
        this.drivers = drivers;
        this.images = images;
        this.agent = agent;
        this.rules = rules;
    }

    /**
     * Opens the drivers and binds both listeners; nothing acts on a machine until the operator starts. The controller
     * CA and the agent key come from the Secret {@link MetalConfig#keysSecret} (shared by the replicas), the registry
     * of open deploys from the Secret {@link MetalConfig#registrySecret}, read when this replica leads.
     */
    static MachineStack open(MetalConfig c, KubernetesClient client, NodeWaker waker) {
        ProvisioningKeys.install(client, c.registryNamespace(), c.keysSecret(), c.stateDir());
        return open(c, new SecretDeployRegistryStore(client, c.registryNamespace(), c.registrySecret()), waker);
    }

    /** As above, with the CA and key of the state directory (made there when missing) and the given registry. */
    static MachineStack open(MetalConfig c, DeployRegistryStore registry, NodeWaker waker) {
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            ImageCache cache = new ImageCache(c.stateDir().resolve("images"))
                    .allowFilesFrom(c.imageRoots(), c.stateDir());
            opened.add(cache);
            ProvisioningTls tls = ProvisioningTls.create(c.advertisedUrl(), c.tlsPort(), c.stateDir().resolve("tls"),
                    Clock.systemUTC());
            AgentService.Config agentConfig = new AgentService.Config(c.advertisedUrl(), c.ramdiskKernel(),
                    c.ramdiskInitrd(), c.kernelArgs(), waker, cache, registry, c.stateDir().resolve("agent.key"))
                    .withTls(tls.agent());
            Vertx vertx = Vertx.vertx();
            opened.add(() -> vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS));
            Router boot = Router.router(vertx);
            Router secure = Router.router(vertx);
            // made (and its registry loaded) when this replica leads; its routes go behind the gate then
            LeaderAgent agent = new LeaderAgent(() -> new AgentService(agentConfig), made -> {
                made.mountBoot(boot);
                made.mountAgent(secure);
            });
            agent.guard(boot);
            agent.guard(secure);
            opened.add(agent);
            IpmiPowerDriver ipmi = new IpmiPowerDriver();
            opened.add(ipmi);
            RedfishPowerDriver redfish = new RedfishPowerDriver(RedfishClientConfig.defaults(), Tls.jdkDefault());
            opened.add(redfish);
            MachineStack stack = new MachineStack(new Drivers(BmcPowerDrivers.bySchemes(ipmi, redfish), agent, agent),
                    cache, agent, anyOf(BmcPowerDrivers.rules()));
            stack.closeables.addAll(opened);
            opened.clear();
            try {
                stack.plain = Listener.start(vertx, "provisioning", c.listenHost(), c.listenPort(), c.limits(), boot);
                stack.closeables.add(stack.plain);
                // what carries a token or an image is only on the TLS listener
                cache.mount(secure, agent::mayFetchImage);
                stack.secure = Listener.start(vertx, "provisioning-tls", c.listenHost(), c.tlsPort(), c.limits(), secure,
                        tls.certificate());
                stack.closeables.add(stack.secure);
            } catch (RuntimeException e) {
                stack.close();
                throw e;
            }
            LOG.info("provisioning routes (iPXE, ramdisk, CA) on http://{}:{}; agent and image routes on https port"
                    + " {}; machines are told {}; served while this replica leads", c.listenHost(), stack.plain.port(),
                    stack.secure.port(), c.advertisedUrl());
            return stack;
        } catch (RuntimeException e) {
            java.util.Collections.reverse(opened);
            closeAll(opened);
            throw e;
        }
    }

    int plainPort() {
        return plain.port();
    }

    int tlsPort() {
        return secure.port();
    }

    /** The address rules of several power driver families: each address is judged by the family of its scheme. */
    static BmcAddressRules anyOf(List<BmcAddressRules> families) {
        return new BmcAddressRules() {
            @Override
            public Set<String> schemes() {
                Set<String> all = new LinkedHashSet<>();
                families.forEach(f -> all.addAll(f.schemes()));
                return all;
            }

            @Override
            public List<String> forms() {
                List<String> all = new ArrayList<>();
                families.forEach(f -> all.addAll(f.forms()));
                return all;
            }

            @Override
            public List<String> problems(BmcAddress address) {
                return families.stream().filter(f -> f.schemes().contains(address.scheme())).findFirst()
                        .map(f -> f.problems(address)).orElse(List.of("no driver for scheme " + address.scheme()));
            }
        };
    }

    @Override
    public void close() {
        List<AutoCloseable> reversed = new ArrayList<>(closeables);
        java.util.Collections.reverse(reversed);
        closeAll(reversed);
        closeables.clear();
    }

    private static void closeAll(List<AutoCloseable> list) {
        for (AutoCloseable a : list) {
            try {
                a.close();
            } catch (Exception e) {
                LOG.warn("closing {}: {}", a, e.toString());
            }
        }
    }
}

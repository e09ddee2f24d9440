package dev.plinth.runtime.cli;


import dev.plinth.core.LifecycleConfig;
import dev.plinth.core.fleet.HealLimit;
import dev.plinth.diff.RemovalGuard;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.runtime.MetalOptions;
import dev.plinth.runtime.StandaloneOptions;
import dev.plinth.http.server.HttpLimits;
import dev.plinth.runtime.http.HttpOptions;
import dev.plinth.runtime.http.ListenAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.Option;

/** Options shared by the commands that run a controller. */
final class ControllerOptions {
    @Option(names = "--state-dir", defaultValue = ".plinth/state",
            description = "Embedded store, Git mirror and driver state (default: ${DEFAULT-VALUE}).")
    Path stateDir;

    /**
     * Not inside the state directory: the state is what gets copied, backed up, wiped and handed around when
     * something goes wrong (issue 8 #12), and the BMC passwords should not travel with it.
     */
    static final Path DEFAULT_SECRETS = Path.of("/etc/plinth/secrets.yaml");

    static final int DEFAULT_TLS_PORT = 8443;

    @Option(names = "--secrets", description = "BMC credentials file, outside Git and outside the state directory"
            + " (default: /etc/plinth/secrets.yaml).")
    Path secrets;

    @Option(names = "--driver", defaultValue = "ipmi",
            description = "Machine driver: ipmi (real machines: IPMI and Redfish power, iPXE, deploy agent) or fake (simulated machines).")
    String driver;

    @Option(names = "--advertise-url",
            description = "How machines reach the provisioning listener, e.g. http://192.0.2.1:8081 (default: http://PROVISIONING_LISTEN unless it is 0.0.0.0 or ::).")
    String advertiseUrl;

    @Option(names = "--media-url", paramLabel = "URL", description = "How BMCs reach the plain provisioning listener"
            + " to fetch deploy ISOs (spec.bmc.bootMethod virtualMedia), when not at --advertise-url: e.g."
            + " http://10.1.0.5:8081 on the BMCs' network (default: the advertise URL).")
    String mediaUrl;

    @Option(names = "--ramdisk-kernel", description = "Deploy ramdisk kernel (ramdisk/build.sh builds it).")
    Path ramdiskKernel;

    @Option(names = "--ramdisk-initrd", description = "Deploy ramdisk initramfs (ramdisk/build.sh builds it).")
    Path ramdiskInitrd;

    @Option(names = "--image-root", paramLabel = "DIR", description = "A directory file:// DiskImages may be read"
            + " from; repeat for more. None by default: a Git committer could otherwise read any file of this host.")
    List<Path> imageRoots = new ArrayList<>();

    @Option(names = "--bmc-ca-file", paramLabel = "PEM", description = "CA (or self-signed BMC) certificates to"
            + " trust for redfish+https:// BMCs besides the JDK's; a node may instead set"
            + " spec.bmc.disableCertificateVerification.")
    Path bmcCaFile;

    @Option(names = "--kernel-args", defaultValue = "console=ttyS0", description = "Extra ramdisk kernel arguments (default: ${DEFAULT-VALUE}).")
    String kernelArgs;

    @Option(names = "--api-listen", defaultValue = "127.0.0.1:8080", converter = ListenAddressConverter.class,
            paramLabel = "HOST:PORT",
            description = "Operator API (status, metrics, webhook): HOST:PORT or [IPV6]:PORT; not loopback only with --api-token-file (default: ${DEFAULT-VALUE}).")
    ListenAddress apiListen;

    @Option(names = "--api-token-file", paramLabel = "FILE",
            description = "Bearer token of the operator API (first line, 16+ characters); required when --api-listen is not loopback.")
    Path apiTokenFile;

    @Option(names = "--provisioning-listen", defaultValue = "0.0.0.0:8081", converter = ListenAddressConverter.class,
            paramLabel = "HOST:PORT",
            description = "Routes the machines use (iPXE, ramdisk, images, agent API); driver ipmi only (default: ${DEFAULT-VALUE}).")
    ListenAddress provisioningListen;

    @Option(names = "--provisioning-tls-listen", converter = ListenAddressConverter.class, paramLabel = "HOST:PORT",
            description = "HTTPS for the routes that carry tokens and images (agent API, images), with a CA this"
                    + " controller makes and the ramdisk trusts; driver ipmi only (default: the host of"
                    + " --provisioning-listen, port 8443).")
    ListenAddress provisioningTlsListen;

    @Option(names = "--no-provisioning-tls", description = "Serve the agent and image routes over plain HTTP on"
            + " --provisioning-listen (tokens and images readable on the provisioning network).")
    boolean noProvisioningTls;

    @Option(names = "--workers", defaultValue = "16", description = "Nodes reconciled at once (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--durable", description = "fsync every state change (survives power loss; slower).")
    boolean durable;

    @Option(names = "--webhook-secret-env", description = "Environment variable holding the webhook secret.")
    String webhookSecretEnv;

    @Option(names = "--hold-removals-over", defaultValue = "10", paramLabel = "N",
            description = "Hold a revision for `plinth approve` when it would deprovision or power off more than N"
                    + " machines at once (default: ${DEFAULT-VALUE}).")
    int holdRemovalsOver;

    @Option(names = "--hold-removals-over-percent", defaultValue = "50", paramLabel = "P",
            description = "... or more than P%% of the machines in force, counting 2 or more (default: ${DEFAULT-VALUE}).")
    int holdRemovalsOverPercent;

    @Option(names = "--max-image-heals", defaultValue = "10", paramLabel = "N",
            description = "Re-images that heal image drift running at once, fleet-wide (default: ${DEFAULT-VALUE}).")
    int maxImageHeals;

    @Option(names = "--max-image-heals-per-minute", defaultValue = "10", paramLabel = "N",
            description = "... and started within any minute, fleet-wide (default: ${DEFAULT-VALUE}).")
    int maxImageHealsPerMinute;

    @Option(names = "--shutdown-timeout", defaultValue = "60s", paramLabel = "DURATION",
            description = "How long a running OS asked to shut down (before a power-off or a reboot into the deploy"
                    + " ramdisk) may take before it is forced off, e.g. 60s, 5m (default: ${DEFAULT-VALUE}).")
    String shutdownTimeout;

    @Option(names = "--fake-call-ms", defaultValue = "20", description = "Fake driver: BMC call latency.")
    long fakeCallMs;

    @Option(names = "--fake-deploy-ms", defaultValue = "3000", description = "Fake driver: ramdisk boot to verified image.")
    long fakeDeployMs;

    @Option(names = "--fake-boot-ms", defaultValue = "1500", description = "Fake driver: disk boot to check-in.")
    long fakeBootMs;

    @Option(names = "--fake-reboot-ms", defaultValue = "0",
            description = "Fake driver: extra time a reboot call takes; the machine acts halfway through.")
    long fakeRebootMs;

    @Option(names = "--fake-corrupt-image", description = "Fake driver: deploys of this image fail verification.")
    List<String> fakeCorruptImages = new ArrayList<>();

    @Option(names = "--fake-unreachable", description = "Fake driver: this node's BMC never answers.")
    List<String> fakeUnreachable = new ArrayList<>();

    @Option(names = "--fake-in-memory", description = "Fake driver: do not persist the simulated machines.")
    boolean fakeInMemory;

    StandaloneOptions toStandalone(String repo, String branch, String path, Duration poll) {
        FakeDriverConfig fake = new FakeDriverConfig(Duration.ofMillis(fakeCallMs), Duration.ofMillis(fakeDeployMs),
                Duration.ofMillis(fakeBootMs), 0, Set.copyOf(fakeUnreachable), Set.of(), Set.copyOf(fakeCorruptImages),
                Duration.ofMillis(fakeRebootMs));
        String webhookSecret = webhookSecretEnv == null ? null : System.getenv(webhookSecretEnv);
        return new StandaloneOptions(repo, branch, path, poll, stateDir,
                secrets != null ? secrets : DEFAULT_SECRETS, driver, fake, !fakeInMemory,
                new HttpOptions(apiListen, provisioningListen, provisioningTls(), apiTokenFile, HttpLimits.DEFAULT), workers, webhookSecret,
                durable, LifecycleConfig.DEFAULT.withShutdownTimeout(Durations.parse(shutdownTimeout)),
                new MetalOptions(advertisedUrl(), ramdiskKernel, ramdiskInitrd,
                        kernelArgs, imageRoots, bmcCaFile, mediaUrl),
                new RemovalGuard(holdRemovalsOver, holdRemovalsOverPercent),
                new HealLimit(maxImageHeals, maxImageHealsPerMinute));
    }

    /** Where the agent and image routes listen over HTTPS; null: plain HTTP (asked for, or no machine to serve). */
    private ListenAddress provisioningTls() {
        if (noProvisioningTls || !driver.equals("ipmi")) {
            return null;
        }
        if (provisioningTlsListen != null) {
            return provisioningTlsListen;
        }
        return new ListenAddress(provisioningListen.host(), DEFAULT_TLS_PORT);
    }

    /** The provisioning listener itself, unless it binds every interface: then machines need to be told. */
    private String advertisedUrl() {
        if (advertiseUrl != null) {
            return advertiseUrl;
        }
        if (provisioningListen.isWildcard()) {
            if (driver.equals("ipmi")) {
                throw new IllegalArgumentException("--provisioning-listen " + provisioningListen + " binds every"
                        + " interface: give --advertise-url http://ADDRESS:" + provisioningListen.port()
                        + " with the address the machines reach this controller at");
            }
            return "http://127.0.0.1:" + provisioningListen.port(); // unused: no machine is served
        }
        return "http://" + provisioningListen;
    }
}

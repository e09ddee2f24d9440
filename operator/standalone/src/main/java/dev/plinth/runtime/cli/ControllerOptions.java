package dev.plinth.runtime.cli;


import dev.plinth.core.LifecycleConfig;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.runtime.MetalOptions;
import dev.plinth.runtime.StandaloneOptions;
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

    @Option(names = "--secrets", description = "BMC credentials file, outside Git (default: STATE_DIR/secrets.yaml).")
    Path secrets;

    @Option(names = "--driver", defaultValue = "ipmi",
            description = "Machine driver: ipmi (real machines: IPMI power, iPXE, deploy agent) or fake (simulated machines).")
    String driver;

    @Option(names = "--advertise-url", description = "How machines reach this controller's HTTP port (default: http://LISTEN).")
    String advertiseUrl;

    @Option(names = "--ramdisk-kernel", description = "Deploy ramdisk kernel (ramdisk/build.sh builds it).")
    Path ramdiskKernel;

    @Option(names = "--ramdisk-initrd", description = "Deploy ramdisk initramfs (ramdisk/build.sh builds it).")
    Path ramdiskInitrd;

    @Option(names = "--kernel-args", defaultValue = "console=ttyS0", description = "Extra ramdisk kernel arguments (default: ${DEFAULT-VALUE}).")
    String kernelArgs;

    @Option(names = "--listen", defaultValue = "127.0.0.1:8080", description = "HTTP API address (default: ${DEFAULT-VALUE}).")
    String listen;

    @Option(names = "--workers", defaultValue = "16", description = "Nodes reconciled at once (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--durable", description = "fsync every state change (survives power loss; slower).")
    boolean durable;

    @Option(names = "--webhook-secret-env", description = "Environment variable holding the webhook secret.")
    String webhookSecretEnv;

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
        String[] hostPort = listen.split(":");
        FakeDriverConfig fake = new FakeDriverConfig(Duration.ofMillis(fakeCallMs), Duration.ofMillis(fakeDeployMs),
                Duration.ofMillis(fakeBootMs), 0, Set.copyOf(fakeUnreachable), Set.of(), Set.copyOf(fakeCorruptImages),
                Duration.ofMillis(fakeRebootMs));
        String webhookSecret = webhookSecretEnv == null ? null : System.getenv(webhookSecretEnv);
        return new StandaloneOptions(repo, branch, path, poll, stateDir,
                secrets != null ? secrets : stateDir.resolve("secrets.yaml"), driver, fake, !fakeInMemory,
                hostPort[0], Integer.parseInt(hostPort[1]), workers, webhookSecret, durable, LifecycleConfig.DEFAULT,
                new MetalOptions(advertiseUrl != null ? advertiseUrl : "http://" + listen, ramdiskKernel, ramdiskInitrd,
                        kernelArgs));
    }
}

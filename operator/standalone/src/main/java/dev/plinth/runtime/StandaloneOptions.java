package dev.plinth.runtime;

import dev.plinth.core.LifecycleConfig;
import dev.plinth.diff.RemovalGuard;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.runtime.http.HttpOptions;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Everything the standalone controller is started with.
 *
 * @param repoUrl Git URL of the desired state (file://, http(s)://, git://, ssh://)
 * @param path directory inside the repository holding the documents
 * @param stateDir where the embedded store, the Git mirror and driver state live
 * @param secretsFile BMC credentials by credentialsName, outside Git
 * @param driver {@code ipmi} (real machines: IPMI power, iPXE, the deploy agent) or {@code fake} (simulated)
 * @param fakePersistent keep the fake machines in {@code stateDir/fake} (they survive a controller restart)
 * @param http the API and provisioning listeners, the API token, timeouts and connection cap
 * @param webhookSecret shared secret of the Git webhook, null to accept unsigned calls
 * @param metal with driver {@code ipmi}: how nodes reach the controller and the ramdisk they boot; else null
 * @param durable fsync every state change (survives power loss, not just a process crash)
 * @param removalGuard which revisions wait for approval because they take many machines out of service
 */
public record StandaloneOptions(
        String repoUrl,
        String branch,
        String path,
        Duration pollInterval,
        Path stateDir,
        Path secretsFile,
        String driver,
        FakeDriverConfig fake,
        boolean fakePersistent,
        HttpOptions http,
        int workers,
        String webhookSecret,
        boolean durable,
        LifecycleConfig lifecycle,
        MetalOptions metal,
        RemovalGuard removalGuard,
        dev.plinth.core.fleet.HealLimit healLimit) {

    public StandaloneOptions {
        healLimit = healLimit == null ? dev.plinth.core.fleet.HealLimit.DEFAULT : healLimit;
    }

    /** With the default fleet-wide heal limit. */
    public StandaloneOptions(String repoUrl, String branch, String path, Duration pollInterval, Path stateDir,
            Path secretsFile, String driver, FakeDriverConfig fake, boolean fakePersistent, HttpOptions http,
            int workers, String webhookSecret, boolean durable, LifecycleConfig lifecycle, MetalOptions metal,
            RemovalGuard removalGuard) {
        this(repoUrl, branch, path, pollInterval, stateDir, secretsFile, driver, fake, fakePersistent, http, workers,
                webhookSecret, durable, lifecycle, metal, removalGuard, dev.plinth.core.fleet.HealLimit.DEFAULT);
    }

    /** With the default removal guard. */
    public StandaloneOptions(String repoUrl, String branch, String path, Duration pollInterval, Path stateDir,
            Path secretsFile, String driver, FakeDriverConfig fake, boolean fakePersistent, HttpOptions http,
            int workers, String webhookSecret, boolean durable, LifecycleConfig lifecycle, MetalOptions metal) {
        this(repoUrl, branch, path, pollInterval, stateDir, secretsFile, driver, fake, fakePersistent, http, workers,
                webhookSecret, durable, lifecycle, metal, RemovalGuard.DEFAULT);
    }

    public StandaloneOptions withRemovalGuard(RemovalGuard guard) {
        return new StandaloneOptions(repoUrl, branch, path, pollInterval, stateDir, secretsFile, driver, fake,
                fakePersistent, http, workers, webhookSecret, durable, lifecycle, metal, guard, healLimit);
    }
}

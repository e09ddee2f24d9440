package dev.plinth.runtime.http;

import dev.plinth.core.LifecycleConfig;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.engine.NodeListener;
import dev.plinth.runtime.LocalGitRepo;
import dev.plinth.runtime.MetalOptions;
import dev.plinth.runtime.Standalone;
import dev.plinth.runtime.StandaloneOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** A real standalone controller (driver ipmi, so the provisioning routes are served) on loopback ports. */
final class Controller implements AutoCloseable {
    final Standalone plinth;

    private Controller(Standalone plinth) {
        this.plinth = plinth;
    }

    static Controller start(Path dir, String webhookSecret) throws Exception {
        return start(dir, webhookSecret, HttpOptions.loopback());
    }

    static Controller start(Path dir, String webhookSecret, HttpOptions http) throws Exception {
        return start(dir, webhookSecret, http, "http://127.0.0.1:8080");
    }

    static Controller start(Path dir, String webhookSecret, HttpOptions http, String advertisedUrl)
            throws Exception {
        LocalGitRepo repo = LocalGitRepo.init(dir.resolve("repo"));
        repo.write("README", "empty fleet\n");
        repo.commitAll("init");
        Files.writeString(dir.resolve("vmlinuz"), "kernel");
        Files.writeString(dir.resolve("initramfs.cpio.gz"), "initramfs");
        StandaloneOptions o = new StandaloneOptions(repo.url(), "main", "", Duration.ofHours(1), dir.resolve("state"),
                dir.resolve("secrets.yaml"), "ipmi", FakeDriverConfig.INSTANT, false, http, 2,
                webhookSecret, false, LifecycleConfig.DEFAULT, new MetalOptions(advertisedUrl,
                        dir.resolve("vmlinuz"), dir.resolve("initramfs.cpio.gz"), "", java.util.List.of()));
        return new Controller(new Standalone(o, NodeListener.NONE));
    }

    int apiPort() {
        return plinth.apiPort();
    }

    int provisioningPort() {
        return plinth.provisioningPort();
    }

    @Override
    public void close() {
        plinth.close();
    }
}

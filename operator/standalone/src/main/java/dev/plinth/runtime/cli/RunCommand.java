package dev.plinth.runtime.cli;

import dev.plinth.engine.NodeListener;
import dev.plinth.runtime.Standalone;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Run the standalone controller: reconcile machines to the Git repository until stopped.")
final class RunCommand implements Callable<Integer> {
    @Option(names = "--repo", required = true, description = "Git URL: file://, http(s)://, git:// or ssh://.")
    String repo;

    @Option(names = "--branch", defaultValue = "main", description = "Branch (default: ${DEFAULT-VALUE}).")
    String branch;

    @Option(names = "--path", defaultValue = "", description = "Directory in the repository (default: the root).")
    String path;

    @Option(names = "--poll", defaultValue = "60s", description = "Poll interval, e.g. 30s, 5m (default: ${DEFAULT-VALUE}).")
    String poll;

    @Mixin
    ControllerOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        CountDownLatch stopped = new CountDownLatch(1);
        Standalone standalone;
        try {
            standalone = new Standalone(options.toStandalone(repo, branch, path, Durations.parse(poll)),
                    NodeListener.NONE);
        } catch (IllegalArgumentException | IllegalStateException e) {
            // a setting that cannot work (an API off loopback without a token, a port in use): one line
            spec.commandLine().getErr().println("plinth run: " + e.getMessage());
            return 2;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            standalone.close();
            stopped.countDown();
        }, "plinth-shutdown"));
        stopped.await();
        return 0;
    }
}

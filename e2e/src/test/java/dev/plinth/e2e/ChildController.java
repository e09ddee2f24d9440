package dev.plinth.e2e;

import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The controller as a child JVM (`plinth run`, FAKE driver, this test's class path), so a test can SIGKILL it. */
final class ChildController {
    private ChildController() {}

    /** Starts it on {@code repo}'s {@code fleet} path, output to {@code log}; {@code extra} options are appended. */
    static Process start(String repo, Path stateDir, Path secrets, int port, Path log, String... extra)
            throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-Dlogback.configurationFile=logback.xml", "-cp", System.getProperty("java.class.path"),
                "dev.plinth.runtime.cli.Main", "run", "--repo", repo, "--path", "fleet", "--poll", "1h",
                "--driver", "fake", "--state-dir", stateDir.toString(), "--secrets", secrets.toString(),
                "--api-listen", "127.0.0.1:" + port, "--workers", "4"));
        cmd.addAll(List.of(extra));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** The API on {@code port}, once it answers ready (a revision is in force). */
    static Api awaitReady(int port) {
        Api api = new Api(port);
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            try {
                return api.get("/readyz").statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        });
        return api;
    }
}

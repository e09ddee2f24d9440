package dev.plinth.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.plinth.core.LifecycleConfig;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.engine.NodeListener;
import dev.plinth.runtime.Standalone;
import dev.plinth.runtime.StandaloneOptions;
import dev.plinth.runtime.http.HttpOptions;
import dev.plinth.runtime.http.ListenAddress;
import dev.plinth.testkit.GitDaemonFixture;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8, "files and processes": the state directory and its files are the owner's only, loose secrets are
 * refused, one controller per state directory, and nothing acts before every listener is bound. Real files and
 * permissions, real controllers on loopback, a real child JVM.
 */
class FilesAndProcessesE2E {
    private static final String PASSWORD = "pw-files";

    @TempDir
    Path dir;
    private GitDaemonFixture git;
    private final List<Standalone> controllers = new ArrayList<>();
    private Process child;

    @BeforeEach
    void repo() throws Exception {
        git = GitDaemonFixture.start();
    }

    @AfterEach
    void stop() throws Exception {
        if (child != null && child.isAlive()) {
            child.destroyForcibly();
            child.waitFor(20, TimeUnit.SECONDS);
        }
        controllers.forEach(Standalone::close);
        git.close();
    }

    private StandaloneOptions options(Path stateDir, int port, FakeDriverConfig fake) {
        return new StandaloneOptions(git.url(), "main", "fleet", Duration.ofHours(1), stateDir,
                dir.resolve("secrets.yaml"), "fake", fake, true,
                HttpOptions.loopback().withApi(ListenAddress.loopback(port), null), 4, null, false,
                LifecycleConfig.DEFAULT, null);
    }

    private static FakeDriverConfig quick() {
        return FakeDriverConfig.of(Duration.ofMillis(5), Duration.ofMillis(300), Duration.ofMillis(100));
    }

    private void secrets(int nodes, String mode) throws Exception {
        Path file = dir.resolve("secrets.yaml");
        Files.writeString(file, Fleet.secrets(nodes, PASSWORD));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(mode));
    }

    private Standalone start(StandaloneOptions o, NodeListener listener) {
        Standalone s = new Standalone(o, listener);
        controllers.add(s);
        return s;
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    // --- #9 ------------------------------------------------------------------------------------------------------

    @Test
    void theStateDirectoryIsTheOwnersOnlyAndSoIsTheDatabase() throws Exception {
        String commit = git.commit(Fleet.files(2, "centos"), "two nodes");
        secrets(2, "rw-------");
        Path state = dir.resolve("state");
        Api api = new Api(start(options(state, 0, quick()), NodeListener.NONE).apiPort());
        await().atMost(Duration.ofSeconds(60)).until(() -> api.convergedOn(commit));

        assertThat(mode(state)).isEqualTo("rwx------");
        for (String f : List.of("plinth.db", "plinth.db-wal", "plinth.db-shm")) {
            assertThat(state.resolve(f)).exists();
            assertThat(mode(state.resolve(f))).as(f).isEqualTo("rw-------");
        }
    }

    @Test
    void aLooseStateDirectoryAndDatabaseAreTightenedAtStart() throws Exception {
        git.commit(Fleet.files(1, "centos"), "one node");
        secrets(1, "rw-------");
        Path state = Files.createDirectories(dir.resolve("state"));
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.writeString(state.resolve("plinth.db"), "");
        Files.setPosixFilePermissions(state.resolve("plinth.db"), PosixFilePermissions.fromString("rw-r--r--"));

        start(options(state, 0, quick()), NodeListener.NONE);
        assertThat(mode(state)).isEqualTo("rwx------");
        assertThat(mode(state.resolve("plinth.db"))).isEqualTo("rw-------");
    }

    @Test
    void aSecretsFileOthersCanReadIsRefusedWithTheChmodToRun() throws Exception {
        git.commit(Fleet.files(1, "centos"), "one node");
        secrets(1, "rw-r--r--");
        Path secretsFile = dir.resolve("secrets.yaml");
        assertThatThrownBy(() -> start(options(dir.resolve("state"), 0, quick()), NodeListener.NONE))
                .hasMessageContaining("secrets file " + secretsFile + " is readable by others (rw-r--r--)")
                .hasMessageContaining("chmod 600 " + secretsFile);
    }

    // --- #13 -----------------------------------------------------------------------------------------------------

    private Process childController(Path stateDir, int port, Path log) throws Exception {
        return ChildController.start(git.url(), stateDir, dir.resolve("secrets.yaml"), port, log, "--fake-call-ms", "5");
    }

    @Test
    void aSecondControllerOnTheSameStateDirectoryFailsFastNamingTheHolder() throws Exception {
        String commit = git.commit(Fleet.files(3, "centos"), "three nodes");
        secrets(3, "rw-------");
        Path state = dir.resolve("state");
        int port = GitDaemonFixture.freeLoopbackPort();
        child = childController(state, port, dir.resolve("first.log"));
        Api first = new Api(port);
        await().atMost(Duration.ofSeconds(60)).until(() -> first.convergedOn(commit));

        // the second one, in this JVM, on the same state directory and another port
        AtomicInteger changes = new AtomicInteger();
        assertThatThrownBy(() -> start(options(state, 0, quick()), (before, after) -> changes.incrementAndGet()))
                .hasMessageContaining("state directory " + state + " is in use by another Plinth controller (pid "
                        + child.pid() + ", started ")
                .hasMessageContaining("stop it, or give this one another --state-dir");
        assertThat(changes).as("node records the second controller changed").hasValue(0);
        assertThat(first.convergedOn(commit)).isTrue();

        // and a second child: exits non-zero at once, its log says why, no node was touched
        Path log = dir.resolve("second.log");
        Process second = childController(state, GitDaemonFixture.freeLoopbackPort(), log);
        assertThat(second.waitFor(30, TimeUnit.SECONDS)).as("second controller exits").isTrue();
        assertThat(second.exitValue()).isNotZero();
        String out = Files.readString(log);
        assertThat(out).contains("is in use by another Plinth controller (pid " + child.pid())
                .doesNotContain("FAKE driver").doesNotContain("node node-").doesNotContain("\tat ");
    }

    @Test
    void aControllerWhosePortIsTakenActsOnNoMachine() throws Exception {
        git.commit(Fleet.files(3, "centos"), "three nodes");
        secrets(3, "rw-------");
        Path state = dir.resolve("state");
        // a revision in force and nodes mid-deploy in the store: a restart has work to do at once
        FakeDriverConfig slow = FakeDriverConfig.of(Duration.ofMillis(5), Duration.ofSeconds(30),
                Duration.ofSeconds(30));
        Standalone first = start(options(state, 0, slow), NodeListener.NONE);
        await().atMost(Duration.ofSeconds(60)).until(() -> first.controller().records().size() == 3
                && first.controller().records().stream().allMatch(r -> r.operation().step() != null
                        && r.operation().step().name().equals("WRITE_IMAGE")));
        first.close();
        controllers.remove(first);
        Path machines = state.resolve("fake");
        String machinesBefore = dev.plinth.json.Json.write(dev.plinth.driver.fake.FakeDriver.readMachines(machines));

        try (ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            AtomicInteger changes = new AtomicInteger();
            assertThatThrownBy(() -> start(options(state, taken.getLocalPort(), slow),
                    (before, after) -> changes.incrementAndGet()))
                    .hasMessageContaining("cannot listen on 127.0.0.1:" + taken.getLocalPort());
            Thread.sleep(500); // a worker started before the failure would act within this
            assertThat(changes).as("node records changed by a controller that could not bind").hasValue(0);
        }
        assertThat(dev.plinth.json.Json.write(dev.plinth.driver.fake.FakeDriver.readMachines(machines)))
                .as("fake machines after a failed start").isEqualTo(machinesBefore);
    }
}

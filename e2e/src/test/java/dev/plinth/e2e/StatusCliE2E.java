package dev.plinth.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.plinth.core.LifecycleConfig;
import dev.plinth.driver.fake.FakeDriverConfig;
import dev.plinth.engine.NodeListener;
import dev.plinth.runtime.Standalone;
import dev.plinth.runtime.StandaloneOptions;
import dev.plinth.testkit.GitDaemonFixture;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 8 on what an operator reads: {@code plinth} fails in one line that says what to do, and status shows the
 * power last observed and when, never a power state that was only commanded by an operation that then failed. A
 * real controller (fake machines) on loopback, the CLI run as {@code Main} in this JVM.
 */
class StatusCliE2E {
    @TempDir
    Path dir;
    private GitDaemonFixture git;
    private Standalone plinth;

    @BeforeEach
    void repo() throws Exception {
        git = GitDaemonFixture.start();
    }

    @AfterEach
    void stop() {
        if (plinth != null) {
            plinth.close();
        }
        git.close();
    }

    private int start(FakeDriverConfig fake) throws Exception {
        Path secrets = dir.resolve("secrets.yaml");
        Fleet.writeSecrets(secrets, 1, "pw-status");
        plinth = new Standalone(new StandaloneOptions(git.url(), "main", "fleet", Duration.ofHours(1),
                dir.resolve("state"), secrets, "fake", fake, true, dev.plinth.runtime.http.HttpOptions.loopback(), 4, null, false,
                LifecycleConfig.DEFAULT, null), NodeListener.NONE);
        return plinth.apiPort();
    }

    private static FakeDriverConfig quick() {
        return FakeDriverConfig.of(Duration.ofMillis(5), Duration.ofMillis(300), Duration.ofMillis(100));
    }

    // --- #14 -----------------------------------------------------------------------------------------------------

    @Test
    void anErrorNodeShowsThePowerLastObservedAndWhen() throws Exception {
        git.commit(Fleet.files(1, "centos"), "one node");
        Instant started = Instant.now();
        FakeDriverConfig corrupt = new FakeDriverConfig(Duration.ofMillis(5), Duration.ofMillis(300),
                Duration.ofMillis(100), 0, Set.of(), Set.of(), Set.of("centos"));
        Api api = new Api(start(corrupt));
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> api.json("/api/v1/nodes/node-0").path("state").asText().equals("ERROR"));
        JsonNode n = api.json("/api/v1/nodes/node-0");
        // the failed deploy rebooted the machine into a ramdisk that failed: nobody looked at its power since
        assertThat(n.path("power").asText()).isEqualTo("UNKNOWN");
        assertThat(n.path("powerCheckedAt").isTextual()).as("powerCheckedAt in %s", n).isTrue();
        Instant checked = Instant.parse(n.path("powerCheckedAt").asText());
        assertThat(checked).isAfter(started).isBefore(Instant.now());
    }

    // --- #15 -----------------------------------------------------------------------------------------------------

    private record Run(int exit, String out, String err) {}

    /** {@code plinth ARGS} in this JVM, as the shell would run it: exit code, standard output and error. */
    private static Run plinth(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true));
            System.setErr(new PrintStream(e, true));
            int exit = dev.plinth.runtime.cli.Main.execute(args);
            return new Run(exit, o.toString(), e.toString());
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** What the CLI wrote to standard error; a controller in this JVM logs there too, lines led by the time. */
    private static java.util.List<String> cliErr(Run r) {
        assertThat(r.err()).doesNotContain("at dev.plinth.runtime.cli."); // no stack trace through the CLI
        return r.err().lines().filter(l -> !l.matches("\\d\\d:\\d\\d:\\d\\d\\.\\d{3} .*")).toList();
    }

    @Test
    void theCliSaysInOneLineWhatIsWrongAndWhatToDo() throws Exception {
        int down = GitDaemonFixture.freeLoopbackPort();
        Run r = plinth("status", "--server", "http://127.0.0.1:" + down);
        assertThat(r.exit()).isNotZero();
        assertThat(cliErr(r)).containsExactly("plinth: no Plinth controller answers at http://127.0.0.1:" + down
                + " (start one with `plinth run`, or pass --server)");

        r = plinth("status", "--server", "127.0.0.1:" + down);
        assertThat(r.exit()).isNotZero();
        assertThat(cliErr(r)).containsExactly("plinth: --server 127.0.0.1:" + down + " is not an http(s) URL: write"
                + " it as http://127.0.0.1:" + down);

        git.commit(Fleet.files(1, "centos"), "one node");
        int port = start(quick());
        r = plinth("status", "--server", "http://127.0.0.1:" + port, "node-9");
        assertThat(r.exit()).isNotZero();
        assertThat(cliErr(r)).containsExactly("plinth: no node node-9 on the controller at http://127.0.0.1:" + port
                + " (`plinth status` lists the nodes it has)");
    }

    @Test
    void statusShowsThePowerAndWhenItWasObserved() throws Exception {
        String commit = git.commit(Fleet.files(1, "centos"), "one node");
        int port = start(quick());
        Api api = new Api(port);
        await().atMost(Duration.ofSeconds(60)).until(() -> api.convergedOn(commit));
        String checkedAt = api.json("/api/v1/nodes/node-0").path("powerCheckedAt").asText();
        Run r = plinth("status", "--server", "http://127.0.0.1:" + port, "node-0");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("power ON (checked " + checkedAt + ")");
    }
}

package dev.plinth.runtime.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Issue 8 #10: listen addresses in every form parse, or fail with one line saying what is wrong. */
class ListenOptionsTest {
    @TempDir
    Path dir;

    private String runErr(String... args) {
        StringWriter err = new StringWriter();
        int code = Main.commandLine().setErr(new PrintWriter(err, true)).execute(args);
        System.out.println("exit " + code + ", stderr:\n" + err);
        assertThat(code).isNotZero();
        return err.toString();
    }

    @Test
    void anIpv6LoopbackListenAddressParses() {
        RunCommand run = new RunCommand();
        new CommandLine(run).parseArgs("--repo", "file:///nowhere", "--driver", "fake", "--api-listen", "[::1]:8080",
                "--provisioning-listen", "[::]:8081");
        var s = run.options.toStandalone("file:///nowhere", "main", "", java.time.Duration.ofMinutes(1));
        assertThat(s.http().api().host()).isEqualTo("::1");
        assertThat(s.http().api().port()).isEqualTo(8080);
        assertThat(s.http().api().isLoopback()).isTrue();
        assertThat(s.http().provisioning().isWildcard()).isTrue();
        assertThat(s.http().api().toString()).isEqualTo("[::1]:8080");
    }

    @Test
    void aListenAddressWithoutAPortIsOneLineNotAStackTrace() {
        String err = runErr("run", "--repo", "file:///nowhere", "--driver", "fake", "--state-dir", dir.toString(),
                "--api-listen", "127.0.0.1");
        assertThat(err).doesNotContain("\tat ").doesNotContain("Exception");
        assertThat(err.lines().findFirst().orElse("")).contains("--api-listen").contains("has no port");
    }

    @Test
    void badListenAddressesAreOneLineErrorsToo() {
        for (String bad : new String[] {"::1:8080", "[::1]", "[::1:8080", ":8080", "127.0.0.1:http", "127.0.0.1:99999"}) {
            String err = runErr("run", "--repo", "file:///nowhere", "--driver", "fake", "--state-dir", dir.toString(),
                    "--provisioning-listen", bad);
            assertThat(err).as(bad).doesNotContain("\tat ").doesNotContain("Exception");
            assertThat(err.lines().findFirst().orElse("")).as(bad).startsWith("Invalid value for option"
                    + " '--provisioning-listen'");
        }
    }

    @Test
    void anApiOffLoopbackWithoutATokenIsRefusedInOneLine() {
        String err = runErr("run", "--repo", "file:///nowhere", "--driver", "fake", "--state-dir", dir.toString(),
                "--api-listen", "0.0.0.0:0");
        assertThat(err).isEqualTo("plinth run: the API would listen on 0.0.0.0:0, which is not loopback, without a"
                + " token: give --api-token-file FILE (clients send it as a bearer token) or listen on 127.0.0.1"
                + System.lineSeparator());
    }

    @Test
    void aWildcardProvisioningListenerNeedsAnAdvertisedUrl() {
        String err = runErr("run", "--repo", "file:///nowhere", "--driver", "ipmi", "--state-dir", dir.toString());
        assertThat(err).startsWith("plinth run: --provisioning-listen 0.0.0.0:8081 binds every interface: give"
                + " --advertise-url http://ADDRESS:8081");
    }
}

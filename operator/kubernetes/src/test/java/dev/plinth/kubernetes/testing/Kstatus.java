package dev.plinth.kubernetes.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * kstatus as Flux and Argo CD compute it: the Go program in src/test/go/kstatus (sigs.k8s.io/cli-utils v0.37.2),
 * built with the machine's Go into target/, its module and build caches beside the Kubernetes binaries. Without
 * Go the test skips, or fails when CI=true.
 */
public final class Kstatus {
    private static Path binary;

    private Kstatus() {}

    /** Status per name (a BareMetalNode's, or clouds/NAME for a Cloud): Current, InProgress, Failed, ... */
    public static Map<String, String> of(KubeApi api, String namespace, String... names) {
        List<String> cmd = new ArrayList<>(List.of(build().toString(), api.kubeconfig().toString(), namespace));
        cmd.addAll(List.of(names));
        Map<String, String> result = new LinkedHashMap<>();
        for (String line : run(cmd, Path.of(".")).lines().toList()) {
            String[] parts = line.trim().split(" ");
            result.put(parts[0], parts[1]);
        }
        return result;
    }

    private static synchronized Path build() {
        if (binary != null) {
            return binary;
        }
        Path go = Path.of("/usr/local/go/bin/go");
        String goCmd = go.toFile().canExecute() ? go.toString() : "go";
        try {
            new ProcessBuilder(goCmd, "version").start().waitFor();
        } catch (IOException | InterruptedException e) {
            String why = "no Go toolchain to build the kstatus check (src/test/go/kstatus): " + e.getMessage();
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(why);
            }
            Assumptions.abort(why);
        }
        Path out = Path.of("target/kstatus").toAbsolutePath();
        run(List.of(goCmd, "build", "-trimpath", "-o", out.toString(), "."), Path.of("src/test/go/kstatus"));
        binary = out;
        return out;
    }

    private static String run(List<String> cmd, Path dir) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
            Path cache = KubeApi.testDir();
            pb.environment().put("GOMODCACHE", cache.resolve("gomod").toString());
            pb.environment().put("GOCACHE", cache.resolve("gobuild-kstatus").toString());
            pb.environment().put("GOFLAGS", "-mod=mod");
            pb.environment().put("GOTOOLCHAIN", "local");
            pb.environment().put("CGO_ENABLED", "0");
            Process p = pb.start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                fail(String.join(" ", cmd) + " failed:\n" + output);
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

package dev.plinth.agent;

import dev.plinth.api.RootDeviceHints;
import dev.plinth.testkit.TestBytes;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The world every protocol transcript starts from (ramdisk/protocol/README.md): deploys of image {@code web} to
 * node {@code web-0}, boot MAC {@value #MAC}, with the root device hints below; and the replay of a transcript's
 * exchanges against a server over real HTTP.
 */
final class ContractFixture {
    static final String NODE = "web-0";
    static final String MAC = "52:54:00:aa:bb:01";
    static final String IMAGE = "web";
    static final RootDeviceHints HINTS = new RootDeviceHints("/dev/vda", null, "QEMU", null, null, 2, false);

    final byte[] raw = new byte[256 * 1024 + 3];
    final byte[] gz;
    final String sha256;

    ContractFixture() {
        new Random(7).nextBytes(raw);
        gz = TestBytes.gzip(raw);
        sha256 = TestBytes.sha256(raw);
    }

    /** The placeholders every side shares; each adds its base URL, tokens and image URL. */
    Map<String, String> vars() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("sha256", sha256);
        v.put("bytes", Integer.toString(raw.length));
        return v;
    }

    /** The repository root: where ramdisk/ is, above the module the tests run in. */
    static Path repoRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("ramdisk/PROTOCOL.md"))) {
                return p;
            }
        }
        throw new IllegalStateException("ramdisk/PROTOCOL.md not found above " + Path.of("").toAbsolutePath());
    }

    static List<Transcript> transcripts() {
        return Transcript.all(repoRoot().resolve("ramdisk/protocol"));
    }

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Sends every exchange of {@code t} to {@code base} in order; the problems found, each naming its exchange. */
    static List<String> replay(Transcript t, String base, Map<String, String> vars) throws Exception {
        List<String> problems = new java.util.ArrayList<>();
        for (Transcript.Exchange x : t.exchanges()) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + Transcript.fill(x.path(), vars)))
                    .timeout(Duration.ofSeconds(10));
            x.headers().forEach((k, v) -> b.header(k, Transcript.fill(v, vars)));
            if (x.method().equals("POST")) {
                b.POST(HttpRequest.BodyPublishers.ofString(x.body(s -> Transcript.fill(s, vars))));
            }
            // a client per request: no pooled connection outlives an exchange (the stub speaks HTTP/1.0)
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            Map<String, String> headers = new LinkedHashMap<>();
            r.headers().map().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
            for (String p : x.checkAnswer(r.statusCode(), headers, r.body(), s -> Transcript.fill(s, vars))) {
                problems.add(t.name() + " / " + x.title() + ": " + p);
            }
        }
        return problems;
    }
}

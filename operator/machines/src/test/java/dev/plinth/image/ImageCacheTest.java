package dev.plinth.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.luben.zstd.ZstdOutputStream;
import com.sun.net.httpserver.HttpServer;
import dev.plinth.api.Compression;
import dev.plinth.api.DiskImage;
import dev.plinth.api.DiskImageSpec;
import dev.plinth.api.ImageFormat;
import dev.plinth.api.ObjectMeta;
import dev.plinth.core.ImageAvailability;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZInputStream;
import org.tukaani.xz.XZOutputStream;

class ImageCacheTest {
    @TempDir Path tmp;

    private HttpServer server;
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final List<ImageCache> caches = new CopyOnWriteArrayList<>();
    private final byte[] raw = randomBytes(3 * 1024 * 1024 + 17, 1);

    @BeforeEach
    void serve() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            requests.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
            byte[] body = files.get(path);
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
            } else {
                ex.sendResponseHeaders(200, body.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
            ex.close();
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
    }

    @AfterEach
    void stop() {
        caches.forEach(ImageCache::close);
        server.stop(0);
    }

    private String url(String path) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + path;
    }

    private int count(String path) {
        AtomicInteger n = requests.get(path);
        return n == null ? 0 : n.get();
    }

    private ImageCache cache(Path dir) {
        ImageCache c = new ImageCache(dir, 2, Duration.ofMinutes(10), Clock.systemUTC());
        caches.add(c);
        return c;
    }

    private static DiskImage image(String name, String url, byte[] raw, ImageFormat format, Compression c) {
        return new DiskImage(ObjectMeta.named(name), new DiskImageSpec(url, "sha256:" + sha256(raw), format, c));
    }

    private static ImageAvailability awaitSettled(ImageCache cache, DiskImage image) {
        await().atMost(30, TimeUnit.SECONDS).until(() -> cache.availability(image).status()
                != ImageAvailability.Status.PENDING);
        return cache.availability(image);
    }

    @Test
    void gzAndXzImagesBecomeReadyAndTheCachedFilesDecompressToTheOriginal() throws Exception {
        files.put("/img.raw.gz", gzip(raw));
        files.put("/img.raw.xz", xz(raw));
        ImageCache cache = cache(tmp.resolve("cache"));
        List<String> changed = new CopyOnWriteArrayList<>();
        cache.setListener(changed::add);
        DiskImage gz = image("gz-image", url("/img.raw.gz"), raw, ImageFormat.RAW, Compression.GZ);
        DiskImage xz = image("xz-image", url("/img.raw.xz"), raw, ImageFormat.RAW, Compression.XZ);
        cache.setImages(List.of(gz, xz));

        assertThat(awaitSettled(cache, gz)).isEqualTo(ImageAvailability.READY);
        assertThat(awaitSettled(cache, xz)).isEqualTo(ImageAvailability.READY);
        await().atMost(5, TimeUnit.SECONDS).until(() -> changed.containsAll(List.of("gz-image", "xz-image")));

        ImageCache.Served sgz = cache.served(gz.spec()).orElseThrow();
        assertThat(sgz.path()).isEqualTo("/images/" + sha256(raw) + ".raw.gz");
        assertThat(sgz.compression()).isEqualTo(Compression.GZ);
        assertThat(sgz.sha256()).isEqualTo(sha256(raw));
        assertThat(sgz.rawLength()).isEqualTo(raw.length);
        Path gzFile = tmp.resolve("cache").resolve(sgz.file());
        assertThat(sgz.length()).isEqualTo(Files.size(gzFile));
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gzFile))) {
            assertThat(in.readAllBytes()).isEqualTo(raw);
        }
        ImageCache.Served sxz = cache.served(xz.spec()).orElseThrow();
        try (InputStream in = new XZInputStream(Files.newInputStream(tmp.resolve("cache").resolve(sxz.file())))) {
            assertThat(in.readAllBytes()).isEqualTo(raw);
        }
        assertThat(cache.servedPath(xz)).contains("/images/" + sha256(raw) + ".raw.xz");
        // no temporary files left behind
        try (var list = Files.list(tmp.resolve("cache"))) {
            assertThat(list.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void aWrongChecksumFailsWithBothHashesAndIsNotFetchedAgain() throws Exception {
        files.put("/bad.raw.gz", gzip(raw));
        ImageCache cache = cache(tmp.resolve("cache"));
        String wrong = sha256("something else".getBytes());
        DiskImage bad = new DiskImage(ObjectMeta.named("bad"),
                new DiskImageSpec(url("/bad.raw.gz"), "sha256:" + wrong, ImageFormat.RAW, Compression.GZ));
        cache.setImages(List.of(bad));

        ImageAvailability a = awaitSettled(cache, bad);
        assertThat(a.status()).isEqualTo(ImageAvailability.Status.FAILED);
        // status names the checksum it wanted, never what the bytes hash to (that would let a committer learn the
        // hash of anything the controller can fetch); the log has both
        assertThat(a.message()).isEqualTo("the image at " + url("/bad.raw.gz") + " does not match its checksum sha256:"
                + wrong + " (the controller log has what it got)");
        assertThat(a.message()).doesNotContain(sha256(raw));
        // the engine keeps asking, and the revision is offered again: no retry storm
        for (int i = 0; i < 50; i++) {
            cache.setImages(List.of(bad));
            assertThat(cache.availability(bad).status()).isEqualTo(ImageAvailability.Status.FAILED);
        }
        Thread.sleep(300);
        assertThat(count("/bad.raw.gz")).isEqualTo(1);
        assertThat(cache.served(bad.spec())).isEmpty();

        // a fixed spec (the right checksum) is fetched at once
        DiskImage fixed = image("bad", url("/bad.raw.gz"), raw, ImageFormat.RAW, Compression.GZ);
        cache.setImages(List.of(fixed));
        assertThat(awaitSettled(cache, fixed)).isEqualTo(ImageAvailability.READY);
        assertThat(count("/bad.raw.gz")).isEqualTo(2);
    }

    @Test
    void aFailedImageIsRetriedAfterTheBackoff() {
        ImageCache cache = new ImageCache(tmp.resolve("cache"), 1, Duration.ofMillis(500), Clock.systemUTC());
        caches.add(cache);
        DiskImage later = image("later", url("/later.raw"), raw, ImageFormat.RAW, Compression.NONE);
        cache.setImages(List.of(later));
        assertThat(awaitSettled(cache, later).status()).isEqualTo(ImageAvailability.Status.FAILED);
        files.put("/later.raw", raw);
        await().atMost(10, TimeUnit.SECONDS).until(() -> cache.availability(later).ready());
        assertThat(count("/later.raw")).isEqualTo(2);
    }

    @Test
    void aStalledDownloadIsAbortedAndFails() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        server.createContext("/stall.raw", ex -> {
            ex.sendResponseHeaders(200, raw.length);
            OutputStream out = ex.getResponseBody();
            out.write(raw, 0, 1000);
            out.flush();
            try {
                release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.close();
        });
        ImageCache cache = cache(tmp.resolve("cache")).stallTimeout(Duration.ofSeconds(1));
        DiskImage img = image("stall", url("/stall.raw"), raw, ImageFormat.RAW, Compression.NONE);
        cache.setImages(List.of(img));
        try {
            await().atMost(5, TimeUnit.SECONDS).until(() -> cache.availability(img).message().startsWith(
                    "downloading 0% (1000/"));
            ImageAvailability a = awaitSettled(cache, img);
            assertThat(a.status()).isEqualTo(ImageAvailability.Status.FAILED);
            assertThat(a.message()).isEqualTo("cannot fetch " + url("/stall.raw") + ": no data for 1 s, aborted");
        } finally {
            release.countDown();
        }
    }

    @Test
    void notFoundFails() {
        ImageCache cache = cache(tmp.resolve("cache"));
        DiskImage missing = image("missing", url("/nope.raw"), raw, ImageFormat.RAW, Compression.NONE);
        cache.setImages(List.of(missing));
        ImageAvailability a = awaitSettled(cache, missing);
        assertThat(a.status()).isEqualTo(ImageAvailability.Status.FAILED);
        assertThat(a.message()).isEqualTo("cannot fetch " + url("/nope.raw")
                + ": no image there (the controller log says why)");
    }

    @Test
    void fileUrlsWork() throws Exception {
        Path src = tmp.resolve("local.raw");
        Files.write(src, raw);
        ImageCache cache = cache(tmp.resolve("cache")).allowFilesFrom(List.of(tmp), tmp.resolve("state"));
        DiskImage local = image("local", src.toUri().toString(), raw, ImageFormat.RAW, Compression.NONE);
        cache.setImages(List.of(local));
        assertThat(awaitSettled(cache, local)).isEqualTo(ImageAvailability.READY);
        ImageCache.Served s = cache.served(local.spec()).orElseThrow();
        assertThat(s.compression()).isEqualTo(Compression.NONE);
        assertThat(Files.readAllBytes(tmp.resolve("cache").resolve(s.file()))).isEqualTo(raw);
    }

    @Test
    void aFileUrlIsReadOnlyUnderAnImageRootAndNeverFromTheStateDirectory() throws Exception {
        Path roots = Files.createDirectories(tmp.resolve("images"));
        Path state = Files.createDirectories(roots.resolve("state")); // a root that (wrongly) contains the state
        Files.write(roots.resolve("os.raw"), raw);
        Path secret = Files.writeString(state.resolve("secrets.yaml"), "bmc: {username: admin, password: hunter2}\n");
        Path outside = Files.writeString(tmp.resolve("agent.key"), "0123456789abcdef");
        Path link = Files.createSymbolicLink(roots.resolve("escape.raw"), outside);
        byte[] secretBytes = Files.readAllBytes(secret);

        ImageCache none = cache(tmp.resolve("cache-none"));
        DiskImage anywhere = image("os", roots.resolve("os.raw").toUri().toString(), raw, ImageFormat.RAW,
                Compression.NONE);
        none.setImages(List.of(anywhere));
        ImageAvailability refused = awaitSettled(none, anywhere);
        assertThat(refused.status()).isEqualTo(ImageAvailability.Status.FAILED);
        assertThat(refused.message()).contains("--image-root").contains("names none");

        ImageCache cache = cache(tmp.resolve("cache")).allowFilesFrom(List.of(roots), state);
        DiskImage ok = image("ok", roots.resolve("os.raw").toUri().toString(), raw, ImageFormat.RAW, Compression.NONE);
        // what a hostile commit would write: the real file's checksum is unknown to it, any will do
        List<DiskImage> hostile = List.of(
                image("secret", secret.toUri().toString(), secretBytes, ImageFormat.RAW, Compression.NONE),
                image("outside", outside.toUri().toString(), Files.readAllBytes(outside), ImageFormat.RAW,
                        Compression.NONE),
                image("link", link.toUri().toString(), Files.readAllBytes(outside), ImageFormat.RAW, Compression.NONE),
                image("dotdot", "file://" + roots + "/../agent.key", Files.readAllBytes(outside), ImageFormat.RAW,
                        Compression.NONE),
                image("missing-outside", "file:///etc/no-such-file", raw, ImageFormat.RAW, Compression.NONE));
        List<DiskImage> all = new java.util.ArrayList<>(hostile);
        all.add(ok);
        cache.setImages(all);
        assertThat(awaitSettled(cache, ok)).isEqualTo(ImageAvailability.READY);
        for (DiskImage h : hostile) {
            ImageAvailability a = awaitSettled(cache, h);
            assertThat(a.status()).as(h.name()).isEqualTo(ImageAvailability.Status.FAILED);
            // refused before a byte is read: the same words whether the file exists or not, no hash, no content
            assertThat(a.message()).as(h.name()).contains("not a regular file under the directories given with"
                    + " --image-root").doesNotContain("no such file").doesNotContain("sha256");
            assertThat(cache.served(h.spec())).as(h.name()).isEmpty();
        }
        // nothing of them reached the cache directory
        try (var files = Files.list(tmp.resolve("cache"))) {
            assertThat(files.filter(f -> !f.getFileName().toString().startsWith("."))
                    .map(f -> f.getFileName().toString())).allMatch(n -> n.startsWith(sha256(raw)));
        }
    }

    @Test
    void zstImagesAreStoredDecompressed() throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZstdOutputStream z = new ZstdOutputStream(bos)) {
            z.write(raw);
        }
        files.put("/img.raw.zst", bos.toByteArray());
        ImageCache cache = cache(tmp.resolve("cache"));
        DiskImage zst = image("zst", url("/img.raw.zst"), raw, ImageFormat.RAW, Compression.ZST);
        cache.setImages(List.of(zst));
        assertThat(awaitSettled(cache, zst)).isEqualTo(ImageAvailability.READY);
        ImageCache.Served s = cache.served(zst.spec()).orElseThrow();
        assertThat(s.compression()).isEqualTo(Compression.NONE);
        assertThat(s.sha256()).isEqualTo(sha256(raw));
        assertThat(Files.readAllBytes(tmp.resolve("cache").resolve(s.file()))).isEqualTo(raw);
    }

    @Test
    void qcow2IsConvertedToRawWhenQemuImgIsThere() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Qcow2Converter.onPath("qemu-img"), "qemu-img not on PATH");
        // qemu-img works in 512-byte sectors: a raw image of whole sectors converts back byte for byte
        byte[] raw = Arrays.copyOf(this.raw, 2 * 1024 * 1024);
        Path rawFile = tmp.resolve("disk.raw");
        Files.write(rawFile, raw);
        Path qcow = tmp.resolve("disk.qcow2");
        Process p = new ProcessBuilder("qemu-img", "convert", "-f", "raw", "-O", "qcow2", rawFile.toString(),
                qcow.toString()).inheritIO().start();
        assertThat(p.waitFor()).isZero();
        byte[] qcowBytes = Files.readAllBytes(qcow);
        files.put("/disk.qcow2.gz", gzip(qcowBytes));
        ImageCache cache = cache(tmp.resolve("cache"));
        DiskImage img = image("q", url("/disk.qcow2.gz"), qcowBytes, ImageFormat.QCOW2, Compression.GZ);
        cache.setImages(List.of(img));
        assertThat(awaitSettled(cache, img)).isEqualTo(ImageAvailability.READY);
        ImageCache.Served s = cache.served(img.spec()).orElseThrow();
        assertThat(s.compression()).isEqualTo(Compression.NONE);
        assertThat(s.sha256()).isEqualTo(sha256(raw)).isNotEqualTo(img.spec().sha256());
        assertThat(s.rawLength()).isEqualTo(raw.length);
    }

    @Test
    void servedImagesAnswerRangeRequestsAndOnlyVerifiedFilesAreServed() throws Exception {
        files.put("/img.raw", raw);
        // under a hidden directory, as with the default state dir .plinth/state
        Path dir = tmp.resolve(".plinth/cache");
        ImageCache cache = cache(dir);
        DiskImage img = image("img", url("/img.raw"), raw, ImageFormat.RAW, Compression.NONE);
        cache.setImages(List.of(img));
        assertThat(awaitSettled(cache, img)).isEqualTo(ImageAvailability.READY);
        Files.writeString(dir.resolve("stray.raw"), "not verified");

        Vertx vertx = Vertx.vertx();
        try {
            Router router = Router.router(vertx);
            cache.mount(router, (file, token) -> "t0k".equals(token));
            var srv = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                    .requestHandler(router).listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            String base = "http://127.0.0.1:" + srv.actualPort();
            HttpClient client = HttpClient.newHttpClient();
            String path = cache.servedPath(img).orElseThrow();

            HttpResponse<byte[]> range = client.send(HttpRequest.newBuilder(URI.create(base + path))
                    .header("Authorization", "Bearer t0k")
                    .header("Range", "bytes=1000-1999").build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(range.statusCode()).isEqualTo(206);
            assertThat(range.body()).isEqualTo(Arrays.copyOfRange(raw, 1000, 2000));
            assertThat(range.headers().firstValue("Content-Range")).contains("bytes 1000-1999/" + raw.length);

            HttpResponse<byte[]> whole = client.send(HttpRequest.newBuilder(URI.create(base + path))
                    .header("Authorization", "Bearer t0k").build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(whole.statusCode()).isEqualTo(200);
            assertThat(whole.body()).isEqualTo(raw);
            assertThat(whole.headers().firstValueAsLong("Content-Length")).hasValue(raw.length);

            for (String other : List.of("/images/stray.raw", "/images/" + cache.served(img.spec()).orElseThrow().file()
                    + ".json", "/images/../cache/stray.raw", "/images/", "/images/.stray.raw")) {
                HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(base + other))
                        .header("Authorization", "Bearer t0k").build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(other).isEqualTo(404);
            }
            // a verified image, but no token or a token the access rule refuses: the same 404 as for nothing
            for (String auth : new String[] {null, "Bearer wrong", "Basic dDBr"}) {
                HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path));
                if (auth != null) {
                    b.header("Authorization", auth);
                }
                HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(String.valueOf(auth)).isEqualTo(404);
                assertThat(r.body()).isEqualTo("no such image\n");
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aRestartReusesTheCacheWithoutDownloadingAgain() throws Exception {
        files.put("/img.raw.gz", gzip(raw));
        Path dir = tmp.resolve("cache");
        DiskImage img = image("img", url("/img.raw.gz"), raw, ImageFormat.RAW, Compression.GZ);
        ImageCache first = cache(dir);
        first.setImages(List.of(img));
        assertThat(awaitSettled(first, img)).isEqualTo(ImageAvailability.READY);
        ImageCache.Served before = first.served(img.spec()).orElseThrow();
        first.close();
        assertThat(count("/img.raw.gz")).isEqualTo(1);

        ImageCache second = cache(dir);
        List<String> changed = new CopyOnWriteArrayList<>();
        second.setListener(changed::add);
        second.setImages(List.of(img));
        assertThat(second.availability(img)).isEqualTo(ImageAvailability.READY);
        assertThat(second.served(img.spec())).contains(before);
        assertThat(changed).containsExactly("img");
        Thread.sleep(200);
        assertThat(count("/img.raw.gz")).isEqualTo(1);

        // a truncated file is not trusted: downloaded again
        second.close();
        Files.write(dir.resolve(before.file()), new byte[10]);
        ImageCache third = cache(dir);
        third.setImages(List.of(img));
        assertThat(awaitSettled(third, img)).isEqualTo(ImageAvailability.READY);
        assertThat(count("/img.raw.gz")).isEqualTo(2);
    }

    // --- helpers ---

    static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] gzip(byte[] b) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(b);
        }
        return bos.toByteArray();
    }

    static byte[] xz(byte[] b) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (XZOutputStream xz = new XZOutputStream(bos, new LZMA2Options(1))) {
            xz.write(b);
        }
        return bos.toByteArray();
    }
}

package dev.plinth.image;

import com.github.luben.zstd.ZstdInputStream;
import dev.plinth.api.Compression;
import dev.plinth.api.DiskImage;
import dev.plinth.api.DiskImageSpec;
import dev.plinth.api.ImageFormat;
import dev.plinth.core.ImageAvailability;
import dev.plinth.engine.ImageCatalog;
import dev.plinth.store.Json;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tukaani.xz.XZInputStream;

/**
 * The controller's image cache: fetches every {@link DiskImage} in force once (http, https, file), verifies the
 * sha256 of the uncompressed image while it streams, and serves the verified file to the deploy ramdisk under
 * {@code /images/}.
 *
 * <p>What is stored and served: a raw image compressed with gz or xz is kept as downloaded (the ramdisk
 * decompresses it on the fly); a raw image compressed with zst (which the ramdisk cannot decompress) is kept
 * decompressed; a qcow2 image is converted to raw with {@code qemu-img convert -O raw} and served uncompressed.
 * {@link Served#sha256()} is the sha256 of the raw bytes the ramdisk writes, which for a qcow2 image differs
 * from {@code spec.checksum}.
 *
 * <p>Files are named {@code <sha256>.<ext>} after the spec's checksum, written to a temporary file and renamed
 * once verified, with a small JSON sidecar ({@code <file>.json}); a restart reuses them after a size check. A
 * failed image is not fetched again until its spec changes or {@code retryAfterFailure} has passed.
 */
public final class ImageCache implements ImageCatalog, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ImageCache.class);
    private static final HexFormat HEX = HexFormat.of();
    /** The URL path prefix under which verified images are served. */
    public static final String PREFIX = "/images/";

    /** A verified file in the cache, as the ramdisk gets it. */
    public record Served(String path, String file, long length, Compression compression, String sha256,
            long rawLength) {}

    /** The sidecar of a verified file. */
    record Meta(String specSha256, String url, String format, String compression, long length, String sha256,
            long rawLength) {}

    private enum State { QUEUED, DOWNLOADING, CONVERTING, READY, FAILED }

    private final class Entry {
        final DiskImageSpec spec;
        final Set<String> names = new LinkedHashSet<>();
        volatile State state = State.QUEUED;
        volatile String message = "queued for download";
        final AtomicLong done = new AtomicLong();
        volatile long total = -1;
        volatile Served served;
        volatile Instant failedAt;
        volatile boolean cancelled;
        /** The source being read, closed by the watchdog when it stalls. */
        volatile InputStream source;
        volatile long lastProgressNanos;
        volatile boolean stalled;
        Future<?> task;
        ScheduledFuture<?> retry;

        Entry(DiskImageSpec spec) { this.spec = spec; }

        ImageAvailability availability() {
            return switch (state) {
                case READY -> ImageAvailability.READY;
                case FAILED -> new ImageAvailability(ImageAvailability.Status.FAILED, message);
                case DOWNLOADING -> new ImageAvailability(ImageAvailability.Status.PENDING, progress());
                default -> new ImageAvailability(ImageAvailability.Status.PENDING, message);
            };
        }

        String progress() {
            long d = done.get();
            long t = total;
            return t > 0 ? "downloading " + (d * 100 / t) + "% (" + d + "/" + t + " bytes)"
                    : "downloading (" + d + " bytes)";
        }
    }

    private final Path dir;
    private final Duration retryAfterFailure;
    private volatile Duration stallTimeout = Duration.ofMinutes(2);
    private final Clock clock;
    private final ExecutorService downloads;
    private final ScheduledExecutorService timer;
    private final HttpClient http;
    private final Map<DiskImageSpec, Entry> entries = new HashMap<>();
    /** File names (in {@link #dir}) that were verified and may be served. */
    private final Set<String> servable = ConcurrentHashMap.newKeySet();
    private volatile Consumer<String> listener = name -> { };
    private volatile boolean closed;

    /** Two downloads at once, a failed image is retried after 10 minutes. */
    public ImageCache(Path cacheDir) {
        this(cacheDir, 2, Duration.ofMinutes(10), Clock.systemUTC());
    }

    public ImageCache(Path cacheDir, int parallelDownloads, Duration retryAfterFailure, Clock clock) {
        this.dir = cacheDir.toAbsolutePath().normalize();
        this.retryAfterFailure = retryAfterFailure;
        this.clock = clock;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create the image cache directory " + dir + ": " + e.getMessage(), e);
        }
        this.downloads = Executors.newFixedThreadPool(parallelDownloads, r -> {
            Thread t = new Thread(r, "image-download");
            t.setDaemon(true);
            return t;
        });
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "image-retry");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::watchStalls, 1, 1, TimeUnit.SECONDS);
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
                .connectTimeout(Duration.ofSeconds(15)).build();
    }

    /** A download that delivers no byte for this long is aborted (2 minutes by default). */
    ImageCache stallTimeout(Duration timeout) {
        this.stallTimeout = timeout;
        return this;
    }

    private void watchStalls() {
        List<Entry> downloading;
        synchronized (this) {
            downloading = entries.values().stream().filter(e -> e.state == State.DOWNLOADING).toList();
        }
        long now = System.nanoTime();
        for (Entry e : downloading) {
            InputStream in = e.source;
            if (in != null && now - e.lastProgressNanos > stallTimeout.toNanos()) {
                e.stalled = true;
                try {
                    in.close();
                } catch (IOException | RuntimeException ignored) {
                    // the reader fails either way
                }
            }
        }
    }

    /** Called with an image name whenever that image's availability changes (READY, FAILED, retried). */
    public void setListener(Consumer<String> listener) {
        this.listener = listener == null ? name -> { } : listener;
    }

    /** The images in force: starts fetching what is missing, forgets (and cancels) what is no longer needed. */
    public void setImages(Collection<DiskImage> images) {
        List<String> changed = new ArrayList<>();
        synchronized (this) {
            Map<DiskImageSpec, Set<String>> wanted = new HashMap<>();
            for (DiskImage image : images) {
                wanted.computeIfAbsent(image.spec(), s -> new LinkedHashSet<>()).add(image.name());
            }
            for (var it = entries.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (!wanted.containsKey(e.getKey())) {
                    cancel(e.getValue());
                    it.remove();
                }
            }
            wanted.forEach((spec, names) -> {
                Entry entry = entries.get(spec);
                if (entry == null) {
                    entry = add(spec);
                    changed.addAll(names);
                }
                entry.names.clear();
                entry.names.addAll(names);
            });
        }
        // an image that was READY from disk at once: tell the engine
        changed.forEach(this::notifyName);
    }

    @Override
    public ImageAvailability availability(DiskImage image) {
        Entry entry;
        synchronized (this) {
            entry = entries.get(image.spec());
            if (entry == null) {
                // an image nobody announced through setImages: fetch it all the same
                entry = add(image.spec());
            }
            entry.names.add(image.name());
        }
        return entry.availability();
    }

    /** The verified file of this image, when it is READY. */
    public Optional<Served> served(DiskImageSpec spec) {
        Entry entry;
        synchronized (this) {
            entry = entries.get(spec);
        }
        if (entry != null && entry.state == State.READY) {
            return Optional.ofNullable(entry.served);
        }
        return Optional.ofNullable(entry == null ? loadVerified(spec) : null);
    }

    /** The URL path (under {@link #PREFIX}) of this image, when it is READY. */
    public Optional<String> servedPath(DiskImage image) {
        return served(image.spec()).map(Served::path);
    }

    /**
     * Serves {@code GET|HEAD /images/<file>} from the cache directory: only verified files, with range requests
     * and zero-copy {@code sendFile}.
     */
    public void mount(Router router) {
        StaticHandler files = StaticHandler.create(FileSystemAccess.ROOT, dir.toString())
                .setCachingEnabled(false)
                .setDirectoryListing(false)
                // the handler below admits only verified file names; the cache itself may live under a hidden
                // directory such as .plinth/, which StaticHandler would otherwise refuse to serve from
                .setIncludeHidden(true)
                .setEnableRangeSupport(true)
                .setSendVaryHeader(false);
        router.route(PREFIX + "*").handler(ctx -> {
            String name = ctx.normalizedPath().substring(PREFIX.length());
            if (name.contains("/") || !servable.contains(name)) {
                ctx.response().setStatusCode(404).end("no such image\n");
                return;
            }
            ctx.response().putHeader("Content-Type", "application/octet-stream");
            ctx.next();
        }).handler(files).failureHandler(ctx -> {
            // a node that stops reading (power-cycled, aborted download) is no controller error
            Throwable f = ctx.failure();
            if (f instanceof io.vertx.core.http.HttpClosedException || ctx.request().connection() == null
                    || ctx.response().closed()) {
                LOG.debug("image download {} from {} aborted by the client", ctx.request().path(),
                        ctx.request().remoteAddress());
                return;
            }
            LOG.warn("serving {} failed: {}", ctx.request().path(), f == null ? ctx.statusCode() : f.toString());
            if (!ctx.response().headWritten()) {
                ctx.response().setStatusCode(f == null ? ctx.statusCode() : 500).end();
            } else {
                ctx.response().reset();
            }
        });
    }

    // --- internals ---

    private Entry add(DiskImageSpec spec) {
        Entry entry = new Entry(spec);
        entries.put(spec, entry);
        Served cached = loadVerified(spec);
        if (cached != null) {
            entry.served = cached;
            entry.state = State.READY;
            entry.message = "";
            LOG.info("image {} found in the cache ({} bytes), not downloading again", redact(spec.url()),
                    cached.length());
        } else {
            schedule(entry);
        }
        return entry;
    }

    private void schedule(Entry entry) {
        if (closed) {
            return;
        }
        entry.state = State.QUEUED;
        entry.message = "queued for download";
        entry.done.set(0);
        entry.total = -1;
        entry.task = downloads.submit(() -> run(entry));
    }

    private void cancel(Entry entry) {
        entry.cancelled = true;
        InputStream in = entry.source;
        if (in != null) {
            try {
                in.close(); // a read blocked on the network does not notice an interrupt
            } catch (IOException | RuntimeException ignored) {
                // the download fails either way
            }
        }
        if (entry.task != null) {
            entry.task.cancel(true);
        }
        if (entry.retry != null) {
            entry.retry.cancel(false);
        }
    }

    private void run(Entry entry) {
        if (entry.cancelled || closed) {
            return;
        }
        DiskImageSpec spec = entry.spec;
        try {
            Served served = fetch(entry);
            entry.served = served;
            servable.add(served.file());
            entry.state = State.READY;
            entry.message = "";
            LOG.info("image {} verified: sha256 {} ({} bytes cached as {})", redact(spec.url()), spec.sha256(),
                    served.length(), served.file());
        } catch (Cancelled c) {
            return;
        } catch (Exception | LinkageError e) {
            if (entry.cancelled || closed) {
                return;
            }
            entry.failedAt = clock.instant();
            entry.message = e instanceof ImageException ? e.getMessage()
                    : entry.stalled ? "cannot fetch " + redact(spec.url()) + ": no data for "
                            + stallTimeout.toSeconds() + " s, aborted"
                    : "cannot fetch " + redact(spec.url()) + ": " + e;
            entry.state = State.FAILED;
            LOG.warn("image {} failed: {}; retried when its spec changes or in {}", redact(spec.url()),
                    entry.message, retryAfterFailure);
            if (!closed) {
                entry.retry = timer.schedule(() -> retry(entry), retryAfterFailure.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        notifyEntry(entry);
    }

    private void retry(Entry entry) {
        synchronized (this) {
            if (entry.cancelled || closed || entries.get(entry.spec) != entry || entry.state != State.FAILED) {
                return;
            }
            LOG.info("retrying image {} after {}", redact(entry.spec.url()), retryAfterFailure);
            schedule(entry);
        }
        notifyEntry(entry);
    }

    private void notifyEntry(Entry entry) {
        List<String> names;
        synchronized (this) {
            names = List.copyOf(entry.names);
        }
        names.forEach(this::notifyName);
    }

    private void notifyName(String name) {
        try {
            listener.accept(name);
        } catch (RuntimeException e) {
            LOG.warn("image listener failed for {}: {}", name, e.toString());
        }
    }

    private static final class Cancelled extends RuntimeException {
        Cancelled() { super(null, null, false, false); }
    }

    private static final class ImageException extends Exception {
        ImageException(String message) { super(message); }
    }

    /** Downloads, verifies and stores one image; returns what is served. */
    private Served fetch(Entry entry) throws Exception {
        DiskImageSpec spec = entry.spec;
        String expected = spec.sha256();
        boolean qcow2 = spec.format() == ImageFormat.QCOW2;
        if (qcow2 && !onPath("qemu-img")) {
            throw new ImageException("image " + redact(spec.url()) + " is qcow2 but qemu-img is not on PATH to convert"
                    + " it to raw (the deploy ramdisk writes raw bytes): install qemu-utils, or publish a raw image");
        }
        // gz and xz raw images are served as downloaded; zst and qcow2 are stored decompressed
        boolean keepCompressed = !qcow2 && spec.compression() != Compression.ZST;
        Compression servedCompression = keepCompressed ? spec.compression() : Compression.NONE;
        String file = fileName(spec);
        Path tmp = Files.createTempFile(dir, ".download-", ".tmp");
        Path converted = null;
        try {
            entry.stalled = false;
            entry.lastProgressNanos = System.nanoTime();
            entry.state = State.DOWNLOADING;
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long rawLength;
            try (InputStream source = entry.source = open(entry);
                 InputStream counted = new Counting(source, entry);
                 OutputStream out = Files.newOutputStream(tmp)) {
                InputStream compressed = keepCompressed ? new Tee(counted, out) : counted;
                try (InputStream raw = decompress(compressed, spec)) {
                    byte[] buf = new byte[1 << 16];
                    long n = 0;
                    for (int r; (r = raw.read(buf)) >= 0; ) {
                        if (entry.cancelled || closed) {
                            throw new Cancelled();
                        }
                        sha.update(buf, 0, r);
                        if (!keepCompressed) {
                            out.write(buf, 0, r);
                        }
                        n += r;
                    }
                    // drain what the decompressor left (gzip trailer garbage) into the stored copy
                    if (keepCompressed) {
                        compressed.transferTo(OutputStream.nullOutputStream());
                    }
                    rawLength = n;
                }
            }
            String actual = HEX.formatHex(sha.digest());
            if (!actual.equals(expected)) {
                throw new ImageException("sha256 of " + redact(spec.url()) + " is " + actual + ", expected " + expected);
            }
            Path stored = tmp;
            String servedSha = expected;
            if (qcow2) {
                entry.state = State.CONVERTING;
                entry.message = "converting qcow2 to raw";
                converted = Files.createTempFile(dir, ".convert-", ".tmp");
                convert(tmp, converted, spec);
                MessageDigest rawSha = MessageDigest.getInstance("SHA-256");
                try (InputStream in = Files.newInputStream(converted)) {
                    byte[] buf = new byte[1 << 16];
                    for (int r; (r = in.read(buf)) >= 0; ) {
                        rawSha.update(buf, 0, r);
                    }
                }
                servedSha = HEX.formatHex(rawSha.digest());
                rawLength = Files.size(converted);
                stored = converted;
            }
            long length = Files.size(stored);
            Meta meta = new Meta(expected, redact(spec.url()), spec.format().yaml(), servedCompression.yaml(), length,
                    servedSha, rawLength);
            Files.move(stored, dir.resolve(file), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Path metaTmp = Files.createTempFile(dir, ".meta-", ".tmp");
            Files.writeString(metaTmp, Json.write(meta));
            Files.move(metaTmp, dir.resolve(file + ".json"), StandardCopyOption.REPLACE_EXISTING,
                    StandardCopyOption.ATOMIC_MOVE);
            return new Served(PREFIX + file, file, length, servedCompression, servedSha, rawLength);
        } finally {
            Files.deleteIfExists(tmp);
            if (converted != null) {
                Files.deleteIfExists(converted);
            }
        }
    }

    private InputStream open(Entry entry) throws Exception {
        DiskImageSpec spec = entry.spec;
        URI uri = URI.create(spec.url());
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        switch (scheme) {
            case "file" -> {
                Path p = Path.of(uri);
                if (!Files.isRegularFile(p)) {
                    throw new ImageException("cannot fetch " + spec.url() + ": no such file");
                }
                entry.total = Files.size(p);
                return Files.newInputStream(p);
            }
            case "http", "https" -> {
                HttpResponse<InputStream> rsp;
                try {
                    rsp = http.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
                } catch (IOException e) {
                    throw new ImageException("cannot fetch " + redact(spec.url()) + ": " + e);
                }
                if (rsp.statusCode() != 200) {
                    rsp.body().close();
                    throw new ImageException("cannot fetch " + redact(spec.url()) + ": " + rsp.statusCode());
                }
                entry.total = rsp.headers().firstValueAsLong("Content-Length").orElse(-1);
                return rsp.body();
            }
            default -> throw new ImageException("cannot fetch " + redact(spec.url()) + ": unsupported scheme '"
                    + scheme + "' (http, https and file are)");
        }
    }

    private static InputStream decompress(InputStream in, DiskImageSpec spec) throws IOException, ImageException {
        return switch (spec.compression()) {
            case NONE -> new NonClosing(in);
            case GZ -> new GZIPInputStream(new NonClosing(in), 1 << 16);
            case XZ -> new XZInputStream(new NonClosing(in));
            case ZST -> zstd(in, spec);
        };
    }

    private static InputStream zstd(InputStream in, DiskImageSpec spec) throws IOException, ImageException {
        try {
            return new ZstdInputStream(new NonClosing(in));
        } catch (LinkageError e) {
            throw new ImageException("image " + redact(spec.url()) + " is zst-compressed, but zst decompression is"
                    + " not supported on this platform (" + e + "): publish it with gz or xz");
        }
    }

    private void convert(Path qcow2, Path raw, DiskImageSpec spec) throws Exception {
        Process p = new ProcessBuilder("qemu-img", "convert", "-f", "qcow2", "-O", "raw", qcow2.toString(),
                raw.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        if (!p.waitFor(1, TimeUnit.HOURS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new ImageException("qemu-img could not convert " + redact(spec.url()) + " to raw: " + out);
        }
    }

    static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(java.io.File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, program))) {
                return true;
            }
        }
        return false;
    }

    static String fileName(DiskImageSpec spec) {
        String sha = spec.sha256();
        if (spec.format() == ImageFormat.QCOW2) {
            return sha + ".qcow2.raw";
        }
        return switch (spec.compression()) {
            case NONE, ZST -> sha + ".raw";
            case GZ -> sha + ".raw.gz";
            case XZ -> sha + ".raw.xz";
        };
    }

    /** A verified file of an earlier run: its sidecar must agree and its size must match. */
    private Served loadVerified(DiskImageSpec spec) {
        String file = fileName(spec);
        Path data = dir.resolve(file);
        Path metaFile = dir.resolve(file + ".json");
        try {
            if (!Files.isRegularFile(data) || !Files.isRegularFile(metaFile)) {
                return null;
            }
            Meta meta = Json.read(Files.readString(metaFile), Meta.class);
            if (!spec.sha256().equals(meta.specSha256()) || Files.size(data) != meta.length()) {
                LOG.warn("cached image {} does not match its sidecar; downloading again", file);
                return null;
            }
            servable.add(file);
            return new Served(PREFIX + file, file, meta.length(), compressionOf(meta.compression()), meta.sha256(),
                    meta.rawLength());
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read cached image {}: {}; downloading again", file, e.getMessage());
            return null;
        }
    }

    private static Compression compressionOf(String yaml) {
        for (Compression c : Compression.values()) {
            if (c.yaml().equals(yaml)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown compression " + yaml);
    }

    /** A URL fit for logs and status: no user info, no query string. */
    static String redact(String url) {
        try {
            URI u = URI.create(url);
            if (u.getRawUserInfo() == null && u.getRawQuery() == null) {
                return url;
            }
            return new URI(u.getScheme(), null, u.getHost(), u.getPort(), u.getPath(), null, null).toString();
        } catch (Exception e) {
            return url;
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (this) {
            entries.values().forEach(this::cancel);
        }
        downloads.shutdownNow();
        timer.shutdownNow();
        try {
            downloads.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // --- streams ---

    private static final class Counting extends FilterInputStream {
        private final Entry entry;

        Counting(InputStream in, Entry entry) {
            super(in);
            this.entry = entry;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                entry.done.incrementAndGet();
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (entry.cancelled) {
                throw new Cancelled();
            }
            int n = super.read(b, off, len);
            if (n > 0) {
                entry.done.addAndGet(n);
                entry.lastProgressNanos = System.nanoTime();
            }
            return n;
        }
    }

    /** Copies every byte read to {@code out}. */
    private static final class Tee extends FilterInputStream {
        private final OutputStream out;

        Tee(InputStream in, OutputStream out) {
            super(in);
            this.out = out;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                out.write(b);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                out.write(b, off, n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[(int) Math.min(n, 8192)];
            int r = read(buf, 0, buf.length);
            return Math.max(r, 0);
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }

    private static final class NonClosing extends FilterInputStream {
        NonClosing(InputStream in) { super(in); }

        @Override
        public void close() { }
    }
}

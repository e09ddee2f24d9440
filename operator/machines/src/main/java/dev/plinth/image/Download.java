package dev.plinth.image;

import com.github.luben.zstd.ZstdInputStream;
import dev.plinth.api.DiskImageSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Collection;
import java.util.HexFormat;
import java.util.function.BooleanSupplier;
import java.util.zip.GZIPInputStream;
import org.tukaani.xz.XZInputStream;

/**
 * Fetches an image (http, https, file) into a file and verifies the sha256 of the uncompressed bytes while it
 * streams, so a large image is read once. A download that delivers nothing for {@link #stallTimeout} is aborted.
 */
final class Download {
    private static final HexFormat HEX = HexFormat.of();

    private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(15)).build();
    private final BooleanSupplier closed;
    private volatile Duration stallTimeout = Duration.ofMinutes(2);
    private volatile FileSources files = FileSources.NONE;

    /** @param closed whether the cache was closed, which ends every download */
    Download(BooleanSupplier closed) {
        this.closed = closed;
    }

    void stallTimeout(Duration timeout) {
        this.stallTimeout = timeout;
    }

    void fileSources(FileSources files) {
        this.files = files;
    }

    /** Why a download the watchdog aborted failed. */
    String stalledMessage(DiskImageSpec spec) {
        return "cannot fetch " + Urls.redact(spec.url()) + ": no data for " + stallTimeout.toSeconds() + " s, aborted";
    }

    /**
     * Closes the source of every download that delivered no byte for too long: a read blocked on the network
     * notices nothing else.
     */
    void abortStalled(Collection<ImageEntry> downloading) {
        long now = System.nanoTime();
        for (ImageEntry e : downloading) {
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

    /**
     * Writes the entry's image to {@code target}, as downloaded ({@code keepCompressed}) or decompressed, and
     * checks the sha256 of the uncompressed bytes against the spec.
     *
     * @return the length of the uncompressed image
     */
    long into(ImageEntry entry, Path target, boolean keepCompressed) throws Exception {
        DiskImageSpec spec = entry.spec;
        entry.stalled = false;
        entry.lastProgressNanos = System.nanoTime();
        entry.state = ImageEntry.State.DOWNLOADING;
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long rawLength;
        try (InputStream source = entry.source = open(entry);
             InputStream counted = new Streams.Counting(source, entry);
             OutputStream out = Files.newOutputStream(target)) {
            InputStream compressed = keepCompressed ? new Streams.Tee(counted, out) : counted;
            try (InputStream raw = decompress(compressed, spec)) {
                byte[] buf = new byte[1 << 16];
                long n = 0;
                for (int r; (r = raw.read(buf)) >= 0; ) {
                    if (entry.cancelled || closed.getAsBoolean()) {
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
        String expected = spec.sha256();
        String actual = HEX.formatHex(sha.digest());
        if (!actual.equals(expected)) {
            // what the bytes hash to stays in the log: in status it would tell a committer the hash of any content
            // the controller can reach
            throw new ImageException("the image at " + Urls.redact(spec.url()) + " does not match its checksum"
                    + " sha256:" + expected + " (the controller log has what it got)",
                    "sha256 of " + Urls.redact(spec.url()) + " is " + actual + ", expected " + expected);
        }
        return rawLength;
    }

    private InputStream open(ImageEntry entry) throws Exception {
        DiskImageSpec spec = entry.spec;
        URI uri = URI.create(spec.url());
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase();
        switch (scheme) {
            case "file" -> {
                Path p = files.resolve(spec.url());
                entry.total = Files.size(p);
                return Files.newInputStream(p);
            }
            case "http", "https" -> {
                HttpResponse<InputStream> rsp;
                try {
                    rsp = http.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
                } catch (IOException e) {
                    // refused, unreachable, no such host: status says the same for all, so that a committer
                    // cannot map the controller's network through DiskImage URLs
                    throw new ImageException(unavailable(spec), "cannot fetch " + Urls.redact(spec.url()) + ": " + e);
                }
                if (rsp.statusCode() != 200) {
                    rsp.body().close();
                    throw new ImageException(unavailable(spec), "cannot fetch " + Urls.redact(spec.url()) + ": HTTP "
                            + rsp.statusCode());
                }
                entry.total = rsp.headers().firstValueAsLong("Content-Length").orElse(-1);
                return rsp.body();
            }
            default -> throw new ImageException("cannot fetch " + Urls.redact(spec.url()) + ": unsupported scheme '"
                    + scheme + "' (http, https and file are)");
        }
    }

    static String unavailable(DiskImageSpec spec) {
        return "cannot fetch " + Urls.redact(spec.url()) + ": no image there (the controller log says why)";
    }

    /** The uncompressed bytes; closing them leaves {@code in} open, which its owner closes. */
    private static InputStream decompress(InputStream in, DiskImageSpec spec) throws IOException, ImageException {
        return switch (spec.compression()) {
            case NONE -> new Streams.NonClosing(in);
            case GZ -> new GZIPInputStream(new Streams.NonClosing(in), 1 << 16);
            case XZ -> new XZInputStream(new Streams.NonClosing(in));
            case ZST -> zstd(in, spec);
        };
    }

    private static InputStream zstd(InputStream in, DiskImageSpec spec) throws IOException, ImageException {
        try {
            return new ZstdInputStream(new Streams.NonClosing(in));
        } catch (LinkageError e) {
            // zstd-jni loads a native library, which a platform may lack
            throw new ImageException("image " + Urls.redact(spec.url()) + " is zst-compressed, but zst decompression is"
                    + " not supported on this platform (" + e + "): publish it with gz or xz");
        }
    }
}

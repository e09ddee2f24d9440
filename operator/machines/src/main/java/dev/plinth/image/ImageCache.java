package dev.plinth.image;

import dev.plinth.api.Compression;
import dev.plinth.api.DiskImage;
import dev.plinth.api.DiskImageSpec;
import dev.plinth.core.ImageAvailability;
import dev.plinth.core.Printable;
import dev.plinth.reconcile.ImageCatalog;
import dev.plinth.image.ImageEntry.State;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
 *
 * <p>This class keeps track of the images in force, their state and their retries; {@link ImageFetcher} brings
 * one image in, {@link CacheDirectory} owns the files and {@link ImageRoutes} serves them.
 */
public final class ImageCache implements ImageCatalog, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ImageCache.class);
    /** The URL path prefix under which verified images are served. */
    public static final String PREFIX = "/images/";

    /** A verified file in the cache, as the ramdisk gets it. */
    public record Served(String path, String file, long length, Compression compression, String sha256,
            long rawLength) {}

    private final CacheDirectory cache;
    private final Duration retryAfterFailure;
    private final Clock clock;
    private final ExecutorService downloads;
    private final ScheduledExecutorService timer;
    private final Download download;
    private final ImageFetcher fetcher;
    private final Map<DiskImageSpec, ImageEntry> entries = new HashMap<>();
    private volatile Consumer<String> listener = name -> { };
    private volatile boolean closed;

    /** Two downloads at once, a failed image is retried after 10 minutes. */
    public ImageCache(Path cacheDir) {
        this(cacheDir, 2, Duration.ofMinutes(10), Clock.systemUTC());
    }

    public ImageCache(Path cacheDir, int parallelDownloads, Duration retryAfterFailure, Clock clock) {
        this.cache = new CacheDirectory(cacheDir);
        this.retryAfterFailure = retryAfterFailure;
        this.clock = clock;
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
        this.download = new Download(() -> closed);
        this.fetcher = new ImageFetcher(cache, download);
        timer.scheduleWithFixedDelay(this::watchStalls, 1, 1, TimeUnit.SECONDS);
    }

    /**
     * The directories {@code file://} images may come from ({@code --image-root}), and one they never come from
     * (the state directory: secrets, keys, the database). Without a call, no {@code file://} image is fetched.
     */
    public ImageCache allowFilesFrom(Collection<Path> roots, Path never) {
        download.fileSources(new FileSources(roots, never));
        return this;
    }

    /** A download that delivers no byte for this long is aborted (2 minutes by default). */
    ImageCache stallTimeout(Duration timeout) {
        download.stallTimeout(timeout);
        return this;
    }

    private void watchStalls() {
        List<ImageEntry> downloading;
        synchronized (this) {
            downloading = entries.values().stream().filter(e -> e.state == State.DOWNLOADING).toList();
        }
        download.abortStalled(downloading);
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
                ImageEntry entry = entries.get(spec);
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
        ImageEntry entry;
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
        ImageEntry entry;
        synchronized (this) {
            entry = entries.get(spec);
        }
        if (entry != null && entry.state == State.READY) {
            return Optional.ofNullable(entry.served);
        }
        return Optional.ofNullable(entry == null ? cache.loadVerified(spec) : null);
    }

    /** The URL path (under {@link #PREFIX}) of this image, when it is READY. */
    public Optional<String> servedPath(DiskImage image) {
        return served(image.spec()).map(Served::path);
    }

    /**
     * Serves {@code GET|HEAD /images/<file>} from the cache directory: only verified files, only to requests
     * {@code access} admits (the agent service: a machine with a live deploy of that image), with range requests
     * and zero-copy {@code sendFile}.
     */
    public void mount(Router router, ImageAccess access) {
        ImageRoutes.mount(router, cache, access);
    }

    // --- internals ---

    private ImageEntry add(DiskImageSpec spec) {
        ImageEntry entry = new ImageEntry(spec);
        entries.put(spec, entry);
        Served cached = cache.loadVerified(spec);
        if (cached != null) {
            entry.served = cached;
            entry.state = State.READY;
            entry.message = "";
            LOG.info("image {} found in the cache ({} bytes), not downloading again", Urls.redact(spec.url()),
                    cached.length());
        } else {
            schedule(entry);
        }
        return entry;
    }

    private void schedule(ImageEntry entry) {
        if (closed) {
            return;
        }
        entry.state = State.QUEUED;
        entry.message = "queued for download";
        entry.done.set(0);
        entry.total = -1;
        entry.task = downloads.submit(() -> run(entry));
    }

    private void cancel(ImageEntry entry) {
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

    private void run(ImageEntry entry) {
        if (entry.cancelled || closed) {
            return;
        }
        DiskImageSpec spec = entry.spec;
        try {
            Served served = fetcher.fetch(entry);
            entry.served = served;
            cache.admit(served.file());
            entry.state = State.READY;
            entry.message = "";
            LOG.info("image {} verified: sha256 {} ({} bytes cached as {})", Urls.redact(spec.url()), spec.sha256(),
                    served.length(), served.file());
        } catch (Cancelled c) {
            return;
        } catch (Exception | LinkageError e) {
            if (entry.cancelled || closed) {
                return;
            }
            entry.failedAt = clock.instant();
            // may quote a server's answer or qemu-img's output: escaped for status and for the log
            entry.message = Printable.of(e instanceof ImageException ? e.getMessage()
                    : entry.stalled ? download.stalledMessage(spec)
                    : Download.unavailable(spec));
            entry.state = State.FAILED;
            LOG.warn("image {} failed: {}; retried when its spec changes or in {}", Urls.redact(spec.url()),
                    Printable.of(e instanceof ImageException ie ? ie.detail()
                            : entry.stalled ? entry.message : e.toString()),
                    retryAfterFailure);
            if (!closed) {
                entry.retry = timer.schedule(() -> retry(entry), retryAfterFailure.toMillis(), TimeUnit.MILLISECONDS);
            }
        }
        notifyEntry(entry);
    }

    private void retry(ImageEntry entry) {
        synchronized (this) {
            if (entry.cancelled || closed || entries.get(entry.spec) != entry || entry.state != State.FAILED) {
                return;
            }
            LOG.info("retrying image {} after {}", Urls.redact(entry.spec.url()), retryAfterFailure);
            schedule(entry);
        }
        notifyEntry(entry);
    }

    private void notifyEntry(ImageEntry entry) {
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
}

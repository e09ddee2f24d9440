package dev.plinth.image;

import dev.plinth.api.DiskImageSpec;
import dev.plinth.core.ImageAvailability;
import java.io.InputStream;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One image spec in the cache and where it stands. Its fields are written by the download thread and read by
 * status calls and the stall watchdog, hence volatile; {@link #names} is guarded by the {@link ImageCache}.
 */
final class ImageEntry {
    enum State { QUEUED, DOWNLOADING, CONVERTING, READY, FAILED }

    final DiskImageSpec spec;
    final Set<String> names = new LinkedHashSet<>();
    volatile State state = State.QUEUED;
    volatile String message = "queued for download";
    final AtomicLong done = new AtomicLong();
    volatile long total = -1;
    volatile ImageCache.Served served;
    volatile Instant failedAt;
    volatile boolean cancelled;
    /** The source being read, closed by the watchdog when it stalls. */
    volatile InputStream source;
    volatile long lastProgressNanos;
    volatile boolean stalled;
    Future<?> task;
    ScheduledFuture<?> retry;

    ImageEntry(DiskImageSpec spec) { this.spec = spec; }

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

package dev.plinth.source;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows a branch: one daemon thread fetches ({@link GitSource#fetchHeadCommit()}, then
 * {@link GitSource#read(String)} for a new head) every poll interval, or at once
 * after {@link #triggerNow()}, and hands each new head commit to a {@link Listener}.
 *
 * <ul>
 *   <li>A snapshot is delivered only when its commit differs from the last one delivered (or the one given
 *       to {@link #start(String)}), so an unchanged head is never delivered twice.</li>
 *   <li>Triggers coalesce: any number of {@link #triggerNow()} calls before the thread gets to them cause one
 *       fetch; a trigger during a fetch causes one more fetch right after it (the push it announces may have
 *       landed after the running fetch looked).</li>
 *   <li>A failed fetch is reported to {@link Listener#onFetchError(SourceException)} and polling goes on.</li>
 *   <li>If {@link Listener#onSnapshot(Snapshot)} throws, the commit is not marked delivered and is offered
 *       again after the next fetch (at-least-once).</li>
 * </ul>
 * The watcher does not own the {@link GitSource}; close the source after closing the watcher.
 */
public final class RevisionWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RevisionWatcher.class);
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(10);

    /** Receives new revisions and fetch failures, on the watcher's thread. */
    public interface Listener {
        void onSnapshot(Snapshot snapshot);

        default void onFetchError(SourceException error) {}
    }

    /** What the watcher has seen, for status. Times are null until the first attempt/success. */
    public record Status(
            Instant lastFetchTime,
            Instant lastSuccessTime,
            String lastFetchedCommit,
            String lastDeliveredCommit,
            SourceException lastError,
            long fetchCount) {}

    private final GitSource source;
    private final Duration pollInterval;
    private final Listener listener;
    private final Clock clock;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private boolean triggered;
    private boolean closed;
    private Thread thread;

    private volatile Instant lastFetchTime;
    private volatile Instant lastSuccessTime;
    private volatile String lastFetchedCommit;
    private volatile String lastDeliveredCommit;
    private volatile SourceException lastError;
    private volatile long fetchCount;

    /** Polls at the source's configured {@link GitSourceConfig#pollInterval()}. */
    public RevisionWatcher(GitSource source, Listener listener) {
        this(source, source.config().pollInterval(), listener, Clock.systemUTC());
    }

    public RevisionWatcher(GitSource source, Duration pollInterval, Listener listener, Clock clock) {
        this.source = Objects.requireNonNull(source, "source");
        this.pollInterval = Objects.requireNonNull(pollInterval, "pollInterval");
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("pollInterval must be positive");
        }
        this.listener = Objects.requireNonNull(listener, "listener");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Starts watching; the first fetch happens at once. Same as {@code start(null)}. */
    public void start() {
        start(null);
    }

    /**
     * Starts watching; the first fetch happens at once.
     *
     * @param alreadyDelivered the commit handled before a restart (null if none): it is not delivered again
     *                         if it is still the head
     */
    public void start(String alreadyDelivered) {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("watcher is closed");
            }
            if (thread != null) {
                throw new IllegalStateException("watcher already started");
            }
            lastDeliveredCommit = alreadyDelivered == null || alreadyDelivered.isBlank() ? null : alreadyDelivered.strip().toLowerCase(java.util.Locale.ROOT);
            thread = new Thread(this::run, "plinth-git-watcher");
            thread.setDaemon(true);
            thread.start();
        } finally {
            lock.unlock();
        }
    }

    /** Asks for a fetch as soon as possible (e.g. from a push webhook). Never blocks; bursts coalesce. */
    public void triggerNow() {
        lock.lock();
        try {
            triggered = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    public Optional<Instant> lastFetchTime() {
        return Optional.ofNullable(lastFetchTime);
    }

    public Optional<Instant> lastSuccessTime() {
        return Optional.ofNullable(lastSuccessTime);
    }

    /** The error of the latest fetch; empty once a fetch succeeds again. */
    public Optional<SourceException> lastError() {
        return Optional.ofNullable(lastError);
    }

    public Optional<String> lastDeliveredCommit() {
        return Optional.ofNullable(lastDeliveredCommit);
    }

    public Status status() {
        return new Status(lastFetchTime, lastSuccessTime, lastFetchedCommit, lastDeliveredCommit, lastError, fetchCount);
    }

    public boolean isRunning() {
        Thread t = thread;
        return t != null && t.isAlive();
    }

    /** Stops the thread (interrupting a fetch in progress) and waits briefly for it to end. */
    @Override
    public void close() {
        Thread t;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            wake.signalAll();
            t = thread;
        } finally {
            lock.unlock();
        }
        if (t != null && t != Thread.currentThread()) {
            t.interrupt();
            try {
                t.join(JOIN_TIMEOUT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void run() {
        log.info("watching {} every {}", source, pollInterval);
        while (true) {
            lock.lock();
            try {
                if (closed) {
                    break;
                }
                triggered = false; // this fetch serves every trigger made so far
            } finally {
                lock.unlock();
            }
            pollOnce();
            if (!awaitNextRound()) {
                break;
            }
        }
        log.info("stopped watching {}", source);
    }

    /** Waits for the poll interval or a trigger; false when closed. */
    private boolean awaitNextRound() {
        lock.lock();
        try {
            long nanos = pollInterval.toNanos();
            while (!closed && !triggered && nanos > 0) {
                nanos = wake.awaitNanos(nanos);
            }
            return !closed;
        } catch (InterruptedException e) {
            return false;
        } finally {
            lock.unlock();
        }
    }

    private void pollOnce() {
        Snapshot snapshot = null;
        try {
            String head = source.fetchHeadCommit();
            if (!head.equals(lastDeliveredCommit)) {
                snapshot = source.read(head); // files are read only for a new head
            }
            lastFetchedCommit = head;
        } catch (SourceException e) {
            lastFetchTime = clock.instant();
            fetchCount++;
            if (isClosed()) {
                return;
            }
            lastError = e;
            log.warn("fetch from {} failed: {}", source, e.getMessage());
            try {
                listener.onFetchError(e);
            } catch (RuntimeException listenerFailure) {
                log.error("fetch error listener failed", listenerFailure);
            }
            return;
        } catch (RuntimeException e) {
            lastFetchTime = clock.instant();
            fetchCount++;
            if (isClosed()) {
                return;
            }
            SourceException wrapped = new SourceException(SourceException.Kind.TRANSPORT,
                    "fetch from " + source + " failed unexpectedly: " + e.getClass().getSimpleName(), e);
            lastError = wrapped;
            log.error("fetch from {} failed unexpectedly", source, e);
            try {
                listener.onFetchError(wrapped);
            } catch (RuntimeException listenerFailure) {
                log.error("fetch error listener failed", listenerFailure);
            }
            return;
        }
        Instant now = clock.instant();
        lastFetchTime = now;
        lastSuccessTime = now;
        lastError = null;
        fetchCount++;
        if (snapshot == null) {
            return; // unchanged head
        }
        log.info("new revision {} on {}: {}", snapshot.shortId(), source, snapshot.message());
        try {
            listener.onSnapshot(snapshot);
            lastDeliveredCommit = snapshot.commitId();
        } catch (RuntimeException e) {
            log.error("listener failed on revision {}; it will be offered again", snapshot.shortId(), e);
        }
    }

    private boolean isClosed() {
        lock.lock();
        try {
            return closed;
        } finally {
            lock.unlock();
        }
    }
}

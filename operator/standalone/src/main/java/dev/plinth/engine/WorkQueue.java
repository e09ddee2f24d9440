package dev.plinth.engine;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A queue of node names with the guarantees of Kubernetes' client-go workqueue: a name is queued at most once, a
 * name being processed is never handed to a second worker (a request that arrives meanwhile is kept and served
 * after {@link #done}), and delayed adds keep only the earliest pending time per name.
 *
 * <p>Long delays (drift checks: every settled node once a minute) are served on whole ticks: the names due in one
 * tick share one timer task and are queued together. One timer task and one wake-up per node per minute were most
 * of an idle 10,000-node controller's CPU (the timer thread's and the workers' wake-ups), not the checks themselves.
 */
final class WorkQueue implements AutoCloseable {
    /**
     * Delays at least this long are rounded up to the next {@link #TICK}: a second more on a minute is nothing.
     * Shorter ones (polls of a deploy, 5 s; retries) keep their time.
     */
    static final Duration COARSE_FROM = Duration.ofSeconds(30);
    static final Duration TICK = Duration.ofSeconds(1);

    private final ArrayDeque<String> ready = new ArrayDeque<>();
    private final Set<String> queued = new HashSet<>();
    private final Set<String> processing = new HashSet<>();
    private final Set<String> dirty = new HashSet<>();
    private final Map<String, Long> wakeAt = new HashMap<>();
    /** Names due on one tick, by the tick's time; a name superseded by an earlier wake-up is skipped when it fires. */
    private final Map<Long, Set<String>> ticks = new HashMap<>();
    private final ScheduledThreadPoolExecutor timer;
    private final long coarseFrom;
    private final long tick;
    private boolean closed;

    WorkQueue() {
        this(COARSE_FROM, TICK);
    }

    /** For tests: delays from {@code coarseFrom} are rounded up to whole {@code tick}s. */
    WorkQueue(Duration coarseFrom, Duration tick) {
        this.coarseFrom = coarseFrom.toNanos();
        this.tick = tick.toNanos();
        timer = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "plinth-requeue");
            t.setDaemon(true);
            return t;
        });
        timer.setRemoveOnCancelPolicy(true);
    }

    synchronized void add(String name) {
        if (closed) {
            return;
        }
        if (processing.contains(name)) {
            dirty.add(name);
        } else if (queued.add(name)) {
            ready.addLast(name);
            notify();
        }
    }

    void addAfter(String name, Duration delay) {
        if (delay.isZero() || delay.isNegative()) {
            add(name);
            return;
        }
        long now = System.nanoTime();
        long at = now + delay.toNanos();
        boolean coarse = delay.toNanos() >= coarseFrom;
        if (coarse) {
            at = Math.floorDiv(at, tick) * tick + tick;
        }
        synchronized (this) {
            if (closed) {
                return; // shutting down: a worker's last pass asks to come back; nobody will
            }
            Long pending = wakeAt.get(name);
            if (pending != null && pending - at <= 0) {
                return; // an earlier wake-up is already set
            }
            wakeAt.put(name, at);
            long due = at;
            // under the monitor, so that close() cannot shut the timer down in between
            if (!coarse) {
                ((ScheduledExecutorService) timer).schedule(() -> fire(name, due), at - now, TimeUnit.NANOSECONDS);
                return;
            }
            Set<String> names = ticks.get(at);
            if (names == null) {
                names = new HashSet<>();
                ticks.put(at, names);
                ((ScheduledExecutorService) timer).schedule(() -> fireTick(due), at - now, TimeUnit.NANOSECONDS);
            }
            names.add(name);
        }
    }

    /** Queues every name still due on the tick {@code at}, under one monitor. */
    private synchronized void fireTick(long at) {
        Set<String> names = ticks.remove(at);
        if (names == null) {
            return;
        }
        for (String name : names) {
            Long pending = wakeAt.get(name);
            if (pending != null && pending == at) {
                wakeAt.remove(name);
                add(name);
            }
        }
    }

    /** Timer tasks scheduled so far (for tests: long delays share one per tick). */
    long timerTasks() {
        return timer.getTaskCount();
    }

    private void fire(String name, long at) {
        synchronized (this) {
            Long pending = wakeAt.get(name);
            if (pending == null || pending != at) {
                return; // superseded by an earlier wake-up
            }
            wakeAt.remove(name);
        }
        add(name);
    }

    /** Blocks until a name is ready; null once closed. */
    synchronized String take() throws InterruptedException {
        while (ready.isEmpty() && !closed) {
            wait();
        }
        if (closed) {
            return null;
        }
        String name = ready.pollFirst();
        queued.remove(name);
        processing.add(name);
        return name;
    }

    synchronized void done(String name) {
        processing.remove(name);
        if (dirty.remove(name)) {
            add(name);
        }
    }

    synchronized int depth() {
        return ready.size();
    }

    @Override
    public synchronized void close() {
        closed = true;
        timer.shutdownNow();
        notifyAll();
    }
}

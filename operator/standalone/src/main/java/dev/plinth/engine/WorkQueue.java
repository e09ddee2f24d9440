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
 */
final class WorkQueue implements AutoCloseable {
    private final ArrayDeque<String> ready = new ArrayDeque<>();
    private final Set<String> queued = new HashSet<>();
    private final Set<String> processing = new HashSet<>();
    private final Set<String> dirty = new HashSet<>();
    private final Map<String, Long> wakeAt = new HashMap<>();
    private final ScheduledThreadPoolExecutor timer;
    private boolean closed;

    WorkQueue() {
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
        long at = System.nanoTime() + delay.toNanos();
        synchronized (this) {
            if (closed) {
                return; // shutting down: a worker's last pass asks to come back; nobody will
            }
            Long pending = wakeAt.get(name);
            if (pending != null && pending - at <= 0) {
                return; // an earlier wake-up is already set
            }
            wakeAt.put(name, at);
            // under the monitor, so that close() cannot shut the timer down in between
            ((ScheduledExecutorService) timer).schedule(() -> fire(name, at), delay.toNanos(), TimeUnit.NANOSECONDS);
        }
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

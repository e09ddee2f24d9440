package dev.plinth.driver.fake;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.plinth.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Where the persisted FAKE machines live: {@code machines.log}, one JSON line per change of a machine (its whole
 * state and history), the last line of a machine winning. An append is one {@code write} to a channel kept open: it
 * survives the process being killed (the kernel has it), it creates no file and takes no directory lock, and appends
 * of different machines run side by side. The log is compacted (one line per machine, written aside and renamed over
 * it) when opened and when it grows past {@link #COMPACT_FROM} and four times its live lines. Files of earlier
 * versions (one {@code machines.json}, then {@code machines/NAME.json}) are read once and folded into it.
 */
final class MachineLog implements AutoCloseable {
    static final String LOG = "machines.log";
    private static final String DIR = "machines";
    private static final String LEGACY = "machines.json";
    static final long COMPACT_FROM = 64L << 20;

    /** One line of the log. */
    record Entry(String name, FakeMachine machine) {}

    private final Path file;
    private final Map<String, FakeMachine> loaded;
    /** The last line appended per machine: what a compaction writes, without taking any machine's lock. */
    private final Map<String, byte[]> last = new ConcurrentHashMap<>();
    private final AtomicLong logBytes = new AtomicLong();
    private final AtomicLong liveBytes = new AtomicLong();
    /** Appends share it (the channel orders their writes); a compaction or close takes it alone. */
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final long compactFrom;
    private FileChannel channel;

    private MachineLog(Path stateDir, Map<String, FakeMachine> loaded, long compactFrom) {
        this.file = stateDir.resolve(LOG);
        this.loaded = loaded;
        this.compactFrom = compactFrom;
    }

    static MachineLog open(Path stateDir) throws IOException {
        return open(stateDir, COMPACT_FROM);
    }

    /** @param compactFrom compact once the log is at least this long (and four times its live lines) */
    static MachineLog open(Path stateDir, long compactFrom) throws IOException {
        Files.createDirectories(stateDir);
        MachineLog log = new MachineLog(stateDir, read(stateDir), compactFrom);
        log.loaded.forEach((name, m) -> log.remember(name, line(name, m)));
        log.lock.writeLock().lock();
        try {
            log.compact();
        } finally {
            log.lock.writeLock().unlock();
        }
        Path legacy = stateDir.resolve(LEGACY);
        Files.deleteIfExists(legacy);
        Path dir = stateDir.resolve(DIR);
        if (Files.isDirectory(dir)) {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(dir);
        }
        return log;
    }

    /** The machines found when the log was opened. */
    Map<String, FakeMachine> loaded() {
        return loaded;
    }

    /** Saves one machine; the caller holds the machine's lock, so one machine's lines are in order. */
    void append(String name, FakeMachine m) {
        byte[] line = line(name, m);
        lock.readLock().lock();
        try {
            remember(name, line);
            ByteBuffer b = ByteBuffer.wrap(line);
            if (channel == null) {
                // closed: a worker's last call while the controller shuts down is still kept
                try (FileChannel once = appendChannel()) {
                    write(once, b);
                }
            } else {
                write(channel, b);
            }
            logBytes.addAndGet(line.length);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save fake machine " + name + " to " + file, e);
        } finally {
            lock.readLock().unlock();
        }
        if (logBytes.get() >= compactFrom && logBytes.get() > 4 * liveBytes.get()) {
            lock.writeLock().lock();
            try {
                if (logBytes.get() >= compactFrom && logBytes.get() > 4 * liveBytes.get()) {
                    compact();
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot compact " + file, e);
            } finally {
                lock.writeLock().unlock();
            }
        }
    }

    private void remember(String name, byte[] line) {
        byte[] before = last.put(name, line);
        liveBytes.addAndGet(line.length - (before == null ? 0 : before.length));
    }

    /** Rewrites the log with one line per machine (under the write lock), then appends to the new one. */
    private void compact() throws IOException {
        Path tmp = file.resolveSibling(LOG + ".tmp");
        long bytes = 0;
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (byte[] line : new TreeMap<>(last).values()) {
                write(out, ByteBuffer.wrap(line));
                bytes += line.length;
            }
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        if (channel != null) {
            channel.close();
        }
        channel = appendChannel();
        logBytes.set(bytes);
    }

    private FileChannel appendChannel() throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
    }

    private static void write(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static byte[] line(String name, FakeMachine m) {
        return (Json.write(new Entry(name, m)) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The machines saved under {@code stateDir}, by node name, in every format this driver has written. A last line
     * cut short (the process killed inside its write) is skipped: the machine's line before it stands.
     */
    static Map<String, FakeMachine> read(Path stateDir) throws IOException {
        Map<String, FakeMachine> out = new TreeMap<>();
        Path legacy = stateDir.resolve(LEGACY);
        if (Files.exists(legacy)) {
            out.putAll(Json.MAPPER.readValue(Files.readString(legacy),
                    new TypeReference<Map<String, FakeMachine>>() { }));
        }
        Path dir = stateDir.resolve(DIR);
        if (Files.isDirectory(dir)) {
            try (var files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).toList()) {
                    String name = f.getFileName().toString();
                    out.put(name.substring(0, name.length() - ".json".length()),
                            Json.MAPPER.readValue(Files.readString(f), FakeMachine.class));
                }
            }
        }
        Path log = stateDir.resolve(LOG);
        if (Files.exists(log)) {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i);
                if (l.isBlank()) {
                    continue;
                }
                try {
                    Entry e = Json.MAPPER.readValue(l, Entry.class);
                    out.put(e.name(), e.machine());
                } catch (IOException e) {
                    if (i < lines.size() - 1) {
                        throw new IOException(log + " line " + (i + 1) + ": " + e.getMessage(), e);
                    }
                }
            }
        }
        return out;
    }

    /** Bytes in the log now (for tests: a read of a machine must not grow it). */
    long size() throws IOException {
        return Files.size(file);
    }

    @Override
    public void close() {
        lock.writeLock().lock();
        try {
            if (channel != null) {
                channel.close();
                channel = null;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            lock.writeLock().unlock();
        }
    }
}

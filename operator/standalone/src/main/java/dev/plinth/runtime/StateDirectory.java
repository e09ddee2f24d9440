package dev.plinth.runtime;

import dev.plinth.files.PrivateFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;

/**
 * The controller's hold on its state directory: the directory made the owner's only (0700), and an exclusive lock
 * on {@code controller.lock} in it, held until close. Two controllers on one directory would both drive every
 * machine; the second one stops here, before it opens the store or builds a driver. The lock file says who holds
 * it (pid and start time) so the refusal can name the holder. The OS drops the lock when the process dies, even
 * by SIGKILL, so a stale lock file never blocks a restart.
 */
public final class StateDirectory implements AutoCloseable {
    static final String LOCK_FILE = "controller.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private StateDirectory(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the directory, or fails with a message naming the controller that holds it. */
    public static StateDirectory take(Path dir) {
        Path lockFile = dir.resolve(LOCK_FILE);
        FileChannel channel = null;
        try {
            PrivateFiles.directory(dir);
            PrivateFiles.file(lockFile);
            channel = FileChannel.open(lockFile, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException sameProcess) {
                lock = null;
            }
            if (lock == null) {
                String holder = Files.readString(lockFile, StandardCharsets.UTF_8).strip();
                throw new IllegalStateException("state directory " + dir + " is in use by another Plinth controller ("
                        + (holder.isEmpty() ? "holder unknown" : holder) + "): stop it, or give this one another"
                        + " --state-dir");
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(holder().getBytes(StandardCharsets.UTF_8)), 0);
            channel.force(false);
            return new StateDirectory(channel, lock);
        } catch (IOException e) {
            closeQuietly(channel);
            throw new IllegalStateException("cannot take the state directory " + dir + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(channel);
            throw e;
        }
    }

    /** What the refusal of a second controller shows: {@code pid 123, started 2026-...Z}. */
    private static String holder() {
        ProcessHandle self = ProcessHandle.current();
        String started = self.info().startInstant().map(Instant::toString).orElse("at an unknown time");
        return "pid " + self.pid() + ", started " + started + "\n";
    }

    private static void closeQuietly(FileChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // already failing
            }
        }
    }

    @Override
    public void close() throws IOException {
        // the lock file stays: deleting it would let a third process lock a new file while a second holds the old
        lock.release();
        channel.close();
    }
}

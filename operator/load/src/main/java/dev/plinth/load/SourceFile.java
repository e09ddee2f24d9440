package dev.plinth.load;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * One file of a revision as it was stored: its path relative to the desired-state root and its bytes. The bytes
 * become text only in {@link SourceText}, the one place where encoding and size limits are checked, for the
 * controller and {@code plinth validate} alike.
 *
 * @param path   '/'-separated, relative to the desired-state root
 * @param bytes  the content; null when the file was not read
 * @param size   the size of the file in bytes
 * @param unread why the file was not read (a limit of {@link SourceText}); null when it was
 */
public record SourceFile(String path, byte[] bytes, long size, Unread unread) {

    /** The limit that kept a file from being read: the loader reports it, so the revision is rejected, not skipped. */
    public enum Unread { FILE_OVER_LIMIT, REVISION_OVER_LIMIT }

    public SourceFile {
        Objects.requireNonNull(path, "path");
        if ((bytes == null) != (unread != null) || bytes != null && bytes.length != size) {
            throw new IllegalArgumentException("bytes, size and unread of " + path + " disagree");
        }
    }

    /** A file as read. */
    public static SourceFile of(String path, byte[] bytes) {
        return new SourceFile(path, bytes, bytes.length, null);
    }

    /** A file of {@code size} bytes left unread because of {@code limit}. */
    public static SourceFile unread(String path, long size, Unread limit) {
        return new SourceFile(path, null, size, Objects.requireNonNull(limit, "limit"));
    }

    /** A file with this text in UTF-8 (tests, and text written by Plinth itself). */
    public SourceFile(String path, String text) {
        this(path, text.getBytes(StandardCharsets.UTF_8), text.getBytes(StandardCharsets.UTF_8).length, null);
    }

    public boolean isRead() {
        return bytes != null;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SourceFile f && f.path.equals(path) && f.size == size && f.unread == unread
                && Arrays.equals(f.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return 31 * path.hashCode() + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "SourceFile[" + path + ", " + size + " bytes" + (isRead() ? "" : ", not read: " + unread) + "]";
    }
}

package dev.plinth.load;

import dev.plinth.core.Problem;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Where the bytes of a revision file become text, for the controller and {@code plinth validate} alike. Limits are
 * checked before the YAML parser sees anything: SnakeYAML's reader copies its look-ahead window for every 1 KiB it
 * reads, so one long token costs time quadratic in its length (16 MB on one line took 100 s and 1.2 GB). A line-length limit
 * bounds that window, and with it the parse to linear time. Bad UTF-8 is a problem of the file, never replaced.
 */
public final class SourceText {
    private SourceText() {}

    /** Largest file read (a 10,000-node file is about 3 MB). */
    public static final int MAX_FILE_BYTES = 16 * 1024 * 1024;
    /** Largest revision: every file read counts (bytes are held until the revision is loaded). */
    public static final int MAX_REVISION_BYTES = 64 * 1024 * 1024;
    /** Longest line, in bytes without its line break. */
    public static final int MAX_LINE_BYTES = 16 * 1024;

    /**
     * Reads the files of one revision within the size limits, in the order offered: GitSource and
     * {@code plinth validate} both read through one of these. Files over a limit are kept, unread, so the loader
     * names them.
     */
    public static final class Budget {
        /** Reads a file's bytes once it is admitted. */
        public interface Bytes {
            byte[] read() throws IOException;
        }

        private long total;

        public SourceFile read(String path, long size, Bytes bytes) throws IOException {
            if (size > MAX_FILE_BYTES) {
                return SourceFile.unread(path, size, SourceFile.Unread.FILE_OVER_LIMIT);
            }
            total += size;
            if (total > MAX_REVISION_BYTES) {
                return SourceFile.unread(path, size, SourceFile.Unread.REVISION_OVER_LIMIT);
            }
            byte[] read = bytes.read();
            // a file that grew since its size was taken is judged by what was read
            return read.length > MAX_FILE_BYTES ? SourceFile.unread(path, read.length,
                    SourceFile.Unread.FILE_OVER_LIMIT) : SourceFile.of(path, read);
        }
    }

    /** The text of {@code file}, or null after adding the problem that keeps it from being parsed. */
    static String decode(SourceFile file, List<Problem> problems) {
        if (!file.isRead()) {
            problems.add(new Problem(file.path(), 0, "", switch (file.unread()) {
                case FILE_OVER_LIMIT -> "file is " + file.size() + " bytes, over the limit of " + MAX_FILE_BYTES
                        + " bytes (16 MiB) per file; split it into several files";
                case REVISION_OVER_LIMIT -> "not read: with this file of " + file.size() + " bytes the revision is"
                        + " over the limit of " + MAX_REVISION_BYTES + " bytes (64 MiB) for all its files together;"
                        + " keep the fleet smaller or serve it from several repository paths";
            }));
            return null;
        }
        byte[] bytes = file.bytes();
        Problem tooLong = longLine(file.path(), bytes);
        if (tooLong != null) {
            problems.add(tooLong);
            return null;
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never decodes to more chars than bytes
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            int bad = in.position();
            int lineStart = bad;
            while (lineStart > 0 && bytes[lineStart - 1] != '\n') lineStart--;
            problems.add(new Problem(file.path(), lineOf(bytes, bad), "", String.format(
                    "not valid UTF-8: byte 0x%02X at byte %d of the line; save the file as UTF-8",
                    bytes[bad] & 0xff, bad - lineStart + 1)));
            return null;
        }
        return out.flip().toString();
    }

    /** The first line over {@link #MAX_LINE_BYTES}, as a problem, or null. */
    private static Problem longLine(String path, byte[] bytes) {
        int start = 0;
        for (int i = 0; i <= bytes.length; i++) {
            if (i == bytes.length || bytes[i] == '\n') {
                int length = i - start;
                if (length > MAX_LINE_BYTES) {
                    return new Problem(path, lineOf(bytes, start), "", "line is " + length + " bytes long, over the limit"
                            + " of " + MAX_LINE_BYTES + " bytes; break it (flow collections and quoted strings may"
                            + " span lines)");
                }
                start = i + 1;
            }
        }
        return null;
    }

    /** 1-based line of the byte at {@code index}. */
    private static int lineOf(byte[] bytes, int index) {
        int line = 1;
        for (int i = 0; i < index; i++) {
            if (bytes[i] == '\n') line++;
        }
        return line;
    }
}

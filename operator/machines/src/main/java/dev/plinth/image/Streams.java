package dev.plinth.image;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** The input streams a download is read through. */
final class Streams {
    private Streams() {}

    /** Counts the bytes read into the entry's progress and notes when the last ones came (stall detection). */
    static final class Counting extends FilterInputStream {
        private final ImageEntry entry;

        Counting(InputStream in, ImageEntry entry) {
            super(in);
            this.entry = entry;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                entry.done.incrementAndGet();
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (entry.cancelled) {
                throw new Cancelled();
            }
            int n = super.read(b, off, len);
            if (n > 0) {
                entry.done.addAndGet(n);
                entry.lastProgressNanos = System.nanoTime();
            }
            return n;
        }
    }

    /** Copies every byte read to {@code out}. */
    static final class Tee extends FilterInputStream {
        private final OutputStream out;

        Tee(InputStream in, OutputStream out) {
            super(in);
            this.out = out;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                out.write(b);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                out.write(b, off, n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] buf = new byte[(int) Math.min(n, 8192)];
            int r = read(buf, 0, buf.length);
            return Math.max(r, 0);
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }

    /** Keeps a decompressor from closing the source, which its owner closes. */
    static final class NonClosing extends FilterInputStream {
        NonClosing(InputStream in) { super(in); }

        @Override
        public void close() { }
    }
}

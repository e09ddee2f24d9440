package dev.plinth.runtime.http;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/** Plain sockets, to send what no HTTP client would: partial headers, partial bodies, nothing. */
final class RawHttp {
    private RawHttp() {}

    static Socket open(int port) throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        return s;
    }

    static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
        s.getOutputStream().flush();
    }

    /**
     * Reads until the server closes the connection or {@code withinMillis} pass; returns the milliseconds it took
     * the server to close, or -1 if it kept the connection open.
     */
    static long millisUntilClosed(Socket s, long withinMillis) throws IOException {
        long start = System.nanoTime();
        long deadline = start + withinMillis * 1_000_000;
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        while (true) {
            long left = (deadline - System.nanoTime()) / 1_000_000;
            if (left <= 0) {
                return -1;
            }
            s.setSoTimeout((int) Math.max(1, left));
            try {
                if (in.read(buf) < 0) {
                    return (System.nanoTime() - start) / 1_000_000;
                }
            } catch (SocketTimeoutException e) {
                return -1;
            } catch (IOException e) { // reset by the server: closed too
                return (System.nanoTime() - start) / 1_000_000;
            }
        }
    }

    /** One request on a fresh connection; the whole answer as text. */
    static String exchange(int port, String request) throws IOException {
        try (Socket s = open(port)) {
            send(s, request);
            s.setSoTimeout(5000);
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }
}

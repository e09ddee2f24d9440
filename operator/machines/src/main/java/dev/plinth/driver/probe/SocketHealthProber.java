package dev.plinth.driver.probe;

import dev.plinth.api.HealthCheck;
import dev.plinth.driver.HealthProber;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Health probes over plain sockets: a TCP connect, and an HTTP/1.0 GET whose status line must say 2xx. One short
 * connection each, bounded by {@code timeout}, so a black-holed node costs the prober at most that; no client
 * library, no pooled connection that could pass a probe for a node that just went away.
 */
public final class SocketHealthProber implements HealthProber {
    private static final int MAX_STATUS_LINE = 1024;
    private final int timeoutMillis;

    public SocketHealthProber(Duration timeout) {
        this.timeoutMillis = (int) Math.max(1, timeout.toMillis());
    }

    @Override
    public String probe(String host, HealthCheck check) {
        if (check.tcpPort() != null) {
            try (Socket s = connect(host, check.tcpPort())) {
                // connected: the port accepts
            } catch (IOException e) {
                return "tcp " + host + ":" + check.tcpPort() + ": " + describe(e);
            }
        }
        if (check.httpPort() != null) {
            String path = check.httpPath() == null ? "/" : check.httpPath();
            String where = "http://" + host + ":" + check.httpPort() + path;
            try (Socket s = connect(host, check.httpPort())) {
                OutputStream out = s.getOutputStream();
                out.write(("GET " + path + " HTTP/1.0\r\nHost: " + host + "\r\nUser-Agent: plinth-health\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                String status = statusLine(s.getInputStream());
                String[] parts = status.split(" ", 3);
                if (parts.length < 2 || !parts[0].startsWith("HTTP/") || !parts[1].matches("[0-9]{3}")) {
                    return "http " + where + ": not an HTTP answer";
                }
                if (!parts[1].startsWith("2")) {
                    return "http " + where + ": status " + parts[1];
                }
            } catch (IOException e) {
                return "http " + where + ": " + describe(e);
            }
        }
        return null;
    }

    private Socket connect(String host, int port) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            return s;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    private static String statusLine(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n' && line.length() < MAX_STATUS_LINE) {
            if (c != '\r') {
                line.append((char) c);
            }
        }
        return line.toString();
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}

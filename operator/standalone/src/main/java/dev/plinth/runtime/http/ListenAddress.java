package dev.plinth.runtime.http;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Where a listener binds: {@code HOST:PORT}, {@code [IPV6]:PORT}. Parsed strictly, with one-line errors, since it
 * comes from the command line.
 */
public record ListenAddress(String host, int port) {
    public ListenAddress {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("no host");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is out of range 0-65535");
        }
    }

    public static ListenAddress loopback(int port) {
        return new ListenAddress("127.0.0.1", port);
    }

    /** {@code HOST:PORT} or {@code [IPV6]:PORT}; port 0 picks a free one. */
    public static ListenAddress parse(String text) {
        String t = text == null ? "" : text.trim();
        String host;
        String port;
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("\"" + t + "\" has no closing ']' (expected [IPV6]:PORT)");
            }
            host = t.substring(1, close);
            String rest = t.substring(close + 1);
            if (!rest.startsWith(":")) {
                throw new IllegalArgumentException("\"" + t + "\" has no port (expected [IPV6]:PORT, e.g. [::1]:8080)");
            }
            port = rest.substring(1);
        } else {
            int colon = t.lastIndexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("\"" + t + "\" has no port (expected HOST:PORT, e.g. 127.0.0.1:8080)");
            }
            host = t.substring(0, colon);
            port = t.substring(colon + 1);
            if (host.contains(":")) {
                throw new IllegalArgumentException("\"" + t + "\": write an IPv6 address in brackets, e.g. [::1]:8080");
            }
        }
        if (host.isEmpty()) {
            throw new IllegalArgumentException("\"" + t + "\" has no host (e.g. 127.0.0.1, 0.0.0.0 or [::1])");
        }
        if (!port.matches("[0-9]{1,5}")) {
            throw new IllegalArgumentException("\"" + t + "\": the port \"" + port + "\" is not a number 0-65535");
        }
        return new ListenAddress(host, Integer.parseInt(port));
    }

    /** Reachable from this machine only. A name is resolved; one that does not resolve is not loopback. */
    public boolean isLoopback() {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** All interfaces: no address a machine could be told to reach. */
    public boolean isWildcard() {
        return host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0");
    }

    /** The form a URL uses: IPv6 in brackets. */
    public String authority(int actualPort) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + actualPort;
    }

    @Override
    public String toString() {
        return authority(port);
    }
}

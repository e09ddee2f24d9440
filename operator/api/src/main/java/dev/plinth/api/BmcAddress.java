package dev.plinth.api;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A BMC address, parsed once where it is read (the loader) and carried typed from there to the drivers, which never
 * parse it again. It lives in api, not core, because the model record {@link BmcSpec} carries it: the desired state,
 * the node record and the driver calls all hold the same value.
 *
 * <p>Grammar: {@code scheme://host[:port][/path][?name=value&...]}. The scheme and host are compared lower-case; the
 * port is the written one or the scheme's well-known default. Which schemes, paths and options are usable is not
 * decided here but by the power driver families of the build (core's {@code BmcAddressRules}).
 *
 * <p>Equality is on the text as written, so an edit of the address (even of its spelling) is a change of the spec,
 * as it was when the address was a string. {@link #key()} is the spelling-free identity of the controller.
 */
public final class BmcAddress {
    /** How any BMC address is written, for messages. */
    public static final String GRAMMAR = "scheme://host[:port][/path][?name=value&...]";
    /** Ports of the schemes this project knows, used when the address names none. */
    public static final Map<String, Integer> DEFAULT_PORTS =
            Map.of("ipmi", 623, "redfish+http", 80, "redfish+https", 443);

    private final String text;
    private final String scheme;
    private final String host;
    private final int port;
    private final String path;
    private final Map<String, String> options;

    private BmcAddress(String text, String scheme, String host, int port, String path, Map<String, String> options) {
        this.text = text;
        this.scheme = scheme;
        this.host = host;
        this.port = port;
        this.path = path;
        this.options = options;
    }

    /** Every reason an address text is not a BMC address, in words fit for a user. Never echoes credentials. */
    public static final class Invalid extends IllegalArgumentException {
        private final List<String> problems;

        Invalid(List<String> problems) {
            super(String.join("; ", problems));
            this.problems = List.copyOf(problems);
        }

        public List<String> problems() {
            return problems;
        }
    }

    /**
     * Parses an address, reporting every problem found in it at once.
     *
     * @throws Invalid listing each problem
     */
    public static BmcAddress parse(String text) {
        if (text == null || text.isBlank()) {
            throw new Invalid(List.of("empty BMC address: expected " + GRAMMAR));
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new Invalid(List.of("malformed BMC address" + shown(text) + ": expected " + GRAMMAR));
        }
        if (uri.getScheme() == null) {
            throw new Invalid(List.of("malformed BMC address" + shown(text) + ": expected " + GRAMMAR));
        }
        List<String> problems = new ArrayList<>();
        if (uri.getRawUserInfo() != null) {
            // Not echoed: the user info may hold a password.
            problems.add("credentials are not allowed in the BMC address: put them in a secret and reference it with"
                    + " credentialsName; expected " + GRAMMAR);
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            problems.add("BMC address" + shown(text) + " has no valid host: expected " + GRAMMAR);
        } else {
            host = host.toLowerCase(Locale.ROOT);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
        }
        int port = uri.getPort() != -1 ? uri.getPort() : DEFAULT_PORTS.getOrDefault(scheme, -1);
        if (uri.getPort() != -1 && (port < 1 || port > 65535)) {
            problems.add("BMC address" + shown(text) + " has port " + port + " out of range: expected a port 1-65535");
        }
        if (uri.getRawFragment() != null) {
            problems.add("BMC address" + shown(text) + " has a fragment (#" + uri.getFragment()
                    + "): expected " + GRAMMAR);
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        while (path.endsWith("/")) path = path.substring(0, path.length() - 1);
        Map<String, String> options = new LinkedHashMap<>();
        if (uri.getQuery() != null && !uri.getQuery().isEmpty()) {
            for (String pair : uri.getQuery().split("&", -1)) {
                int eq = pair.indexOf('=');
                String name = eq < 0 ? pair : pair.substring(0, eq);
                if (eq <= 0) {
                    problems.add("BMC address option \"" + pair + "\" is not name=value: expected "
                            + GRAMMAR);
                } else if (options.putIfAbsent(name, pair.substring(eq + 1)) != null) {
                    problems.add("BMC address option \"" + name + "\" is given twice: expected each option once");
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new Invalid(problems);
        }
        return new BmcAddress(text, scheme, host, port, path, Collections.unmodifiableMap(options));
    }

    /** The address as written. */
    public String text() {
        return text;
    }

    /** Lower-case, e.g. {@code ipmi} or {@code redfish+https}. */
    public String scheme() {
        return scheme;
    }

    /** Lower-case, without the brackets of an IPv6 literal. */
    public String host() {
        return host;
    }

    /** The written port, else the scheme's default ({@link #DEFAULT_PORTS}), else -1. */
    public int port() {
        return port;
    }

    /** The path without trailing slashes; empty when there is none. */
    public String path() {
        return path;
    }

    /** {@code ?name=value&...} in written order; names are case-sensitive. */
    public Map<String, String> options() {
        return options;
    }

    /** host:port, with brackets around an IPv6 literal. */
    public String authority() {
        return authority(host, port);
    }

    /** host:port, with brackets around an IPv6 literal. */
    public static String authority(String host, int port) {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /** Identity of the controller (and of the system behind it, for a path) however the address is spelled. */
    public String key() {
        return scheme + "://" + authority() + path;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BmcAddress a && a.text.equals(text);
    }

    @Override
    public int hashCode() {
        return text.hashCode();
    }

    /** The address as written (a valid address holds no credentials). */
    @Override
    public String toString() {
        return text;
    }

    private static String shown(String text) {
        return text.indexOf('@') >= 0 ? "" : " \"" + (text.length() <= 64 ? text : text.substring(0, 64) + "...") + "\"";
    }
}

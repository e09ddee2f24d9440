package dev.plinth.load;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A parsed BMC address. Two addresses with the same {@link #key()} reach the same controller, however they are
 * spelled (host case, default port written out or not, trailing slash).
 */
record BmcAddress(String scheme, String host, int port, String path) {
    static final String EXPECTED =
            "ipmi://host[:port], redfish+http://host[:port]/path or redfish+https://host[:port]/path";

    /** Thrown with a message fit for a {@link Problem}. */
    static final class Invalid extends Exception {
        Invalid(String message) {
            super(message, null, false, false);
        }
    }

    static BmcAddress parse(String text) throws Invalid {
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new Invalid(malformed(text));
        }
        if (uri.getScheme() == null) {
            throw new Invalid(malformed(text));
        }
        if (uri.getRawUserInfo() != null) {
            // Not echoed: the user info may hold a password.
            throw new Invalid("credentials are not allowed in the BMC address: put them in a secret and reference"
                    + " it with credentialsName; expected " + EXPECTED);
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        int defaultPort = switch (scheme) {
            case "ipmi" -> 623;
            case "redfish+http" -> 80;
            case "redfish+https" -> 443;
            default -> throw new Invalid("unsupported BMC address scheme " + Fields.quote(uri.getScheme())
                    + ": expected one of " + EXPECTED);
        };
        if (uri.getHost() == null) {
            throw new Invalid("BMC address " + Fields.quote(text) + " has no valid host: expected " + EXPECTED);
        }
        int port = uri.getPort() == -1 ? defaultPort : uri.getPort();
        if (port < 1 || port > 65535) {
            throw new Invalid("BMC address " + Fields.quote(text) + " has port " + port
                    + " out of range: expected a port 1-65535");
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        while (path.endsWith("/")) path = path.substring(0, path.length() - 1);
        if (scheme.equals("ipmi") && !path.isEmpty()) {
            throw new Invalid("BMC address " + Fields.quote(text) + " has a path, but IPMI takes none: expected "
                    + "ipmi://host[:port]");
        }
        if (!scheme.equals("ipmi") && path.isEmpty()) {
            throw new Invalid("BMC address " + Fields.quote(text) + " has no Redfish system path: expected "
                    + scheme + "://host[:port]/path like " + scheme + "://10.0.0.11/redfish/v1/Systems/1");
        }
        return new BmcAddress(scheme, uri.getHost().toLowerCase(Locale.ROOT), port, path);
    }

    /** Identity of the controller (and, for Redfish, the system behind it) for duplicate detection. */
    String key() {
        return scheme + "://" + host + ":" + port + path;
    }

    private static String malformed(String text) {
        String shown = text.indexOf('@') >= 0 ? "" : " " + Fields.quote(text); // may hold a password
        return "malformed BMC address" + shown + ": expected " + EXPECTED;
    }
}

package dev.plinth.load;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Value formats of the desired-state documents. Each check returns a problem message (what is wrong and what is
 * expected) or null when the value is fine, to plug into {@link Fields#string}.
 */
final class Formats {
    private Formats() {}

    private static final String DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile(DNS_LABEL + "(\\." + DNS_LABEL + ")*");
    private static final Pattern DNS_LABEL_PATTERN = Pattern.compile(DNS_LABEL);
    private static final Pattern MAC = Pattern.compile("[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}");
    private static final Pattern SHA256 = Pattern.compile("sha256:[0-9A-Fa-f]{64}");

    static final String NAME = "a DNS-1123 name: lowercase letters, digits, '-' and '.', starting and ending"
            + " with a letter or digit, at most 253 characters, like \"compute-0\"";
    static final String ROLE_NAME = "a DNS-1123 label: lowercase letters, digits and '-', starting and ending"
            + " with a letter or digit, at most 63 characters, like \"compute\"";
    static final String NAMESPACE = "a Kubernetes namespace (a DNS-1123 label): lowercase letters, digits and '-',"
            + " starting and ending with a letter or digit, at most 63 characters, like \"fleet\"";
    static final String MAC_EXPECTED = "six hex pairs separated by ':' like 52:54:00:00:00:01";
    static final String CHECKSUM_EXPECTED = "sha256: followed by 64 hex digits";
    static final String IMAGE_URL_EXPECTED = "an http://, https:// or file:// URL";

    static String name(String v) {
        if (v.length() <= 253 && DNS_SUBDOMAIN.matcher(v).matches()) return null;
        return "invalid name " + Fields.quote(v) + ": expected " + NAME;
    }

    static String namespace(String v) {
        if (v.length() <= 63 && DNS_LABEL_PATTERN.matcher(v).matches()) return null;
        return "invalid namespace " + Fields.quote(v) + ": expected " + NAMESPACE;
    }

    static String roleName(String v) {
        if (v.length() <= 63 && DNS_LABEL_PATTERN.matcher(v).matches()) return null;
        return "invalid role name " + Fields.quote(v) + ": expected " + ROLE_NAME;
    }

    static String mac(String v) {
        if (MAC.matcher(v).matches()) return null;
        return "malformed MAC address " + Fields.quote(v) + ": expected " + MAC_EXPECTED;
    }

    static String checksum(String v) {
        if (SHA256.matcher(v).matches()) return null;
        int colon = v.indexOf(':');
        if (colon > 0 && !v.substring(0, colon).equals("sha256")) {
            return "unsupported checksum algorithm " + Fields.quote(v.substring(0, colon)) + ": expected "
                    + CHECKSUM_EXPECTED;
        }
        return "malformed checksum " + Fields.quote(v) + ": expected " + CHECKSUM_EXPECTED;
    }

    /** Checksums are stored with lowercase hex so they compare equal to what sha256sum prints. */
    static String normalizeChecksum(String v) {
        return v == null ? null : v.toLowerCase(Locale.ROOT);
    }

    static String imageUrl(String v) {
        URI uri;
        try {
            uri = new URI(v);
        } catch (URISyntaxException e) {
            return "malformed image URL " + Fields.quote(v) + ": expected " + IMAGE_URL_EXPECTED;
        }
        String scheme = uri.getScheme() == null ? null : uri.getScheme().toLowerCase(Locale.ROOT);
        if (scheme == null) {
            return "image URL " + Fields.quote(v) + " has no scheme: expected " + IMAGE_URL_EXPECTED;
        }
        if (uri.getRawUserInfo() != null) {
            // Not echoed: the user info may hold a password.
            return "credentials are not allowed in the image URL: expected " + IMAGE_URL_EXPECTED
                    + " without user:password@";
        }
        switch (scheme) {
            case "http", "https" -> {
                if (uri.getHost() == null) {
                    return "image URL " + Fields.quote(v) + " has no host: expected " + IMAGE_URL_EXPECTED;
                }
            }
            case "file" -> {
                if (uri.getPath() == null || uri.getPath().isEmpty()) {
                    return "image URL " + Fields.quote(v) + " has no path: expected file:///path/to/image";
                }
            }
            default -> {
                return "unsupported image URL scheme " + Fields.quote(scheme) + ": expected http://, https://"
                        + " or file://";
            }
        }
        return null;
    }
}

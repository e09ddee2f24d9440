package dev.plinth.driver.ipmi;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * A BMC address of the form {@code ipmi://host[:port][?bootMode=uefi|legacy]} (port 623 by default).
 *
 * @param efi {@code null} when the address does not say, else whether boot flags ask for EFI boot
 */
public record IpmiEndpoint(String host, int port, Boolean efi) {
    public static final int DEFAULT_PORT = 623;

    public static IpmiEndpoint parse(String address) {
        if (address == null || address.isBlank()) {
            throw new IllegalArgumentException("empty BMC address");
        }
        String shown = address.replaceAll("//[^/@]*@", "//***@"); // never echo credentials put in the address
        URI uri;
        try {
            uri = new URI(address.trim());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("BMC address '" + shown + "' is not a URI: " + e.getReason());
        }
        if (!"ipmi".equalsIgnoreCase(uri.getScheme())) {
            throw new IllegalArgumentException("BMC address '" + shown + "' is not ipmi://host[:port]");
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("BMC address '" + shown + "' has no host");
        }
        if (uri.getUserInfo() != null) {
            throw new IllegalArgumentException("BMC address must not carry credentials; use credentialsName");
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        if (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/")) {
            throw new IllegalArgumentException("BMC address '" + shown + "' has a path");
        }
        int port = uri.getPort() == -1 ? DEFAULT_PORT : uri.getPort();
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("BMC address '" + shown + "' has port " + port);
        }
        Boolean efi = null;
        if (uri.getQuery() != null) {
            for (String kv : uri.getQuery().split("&")) {
                String[] p = kv.split("=", 2);
                if (p.length == 2 && p[0].equals("bootMode")) {
                    switch (p[1].toLowerCase(Locale.ROOT)) {
                        case "uefi", "efi" -> efi = true;
                        case "legacy", "bios" -> efi = false;
                        default -> throw new IllegalArgumentException("bootMode must be uefi or legacy, not " + p[1]);
                    }
                } else {
                    throw new IllegalArgumentException("unknown BMC address parameter '" + p[0] + "'");
                }
            }
        }
        return new IpmiEndpoint(host, port, efi);
    }

    /** host:port, with brackets around an IPv6 literal. */
    public String authority() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}

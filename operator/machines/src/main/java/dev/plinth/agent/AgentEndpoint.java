package dev.plinth.agent;

import java.net.URI;
import java.util.regex.Pattern;

/**
 * Where the deploy agent and the installed OS reach the controller over HTTPS. iPXE (as packaged in Debian 12)
 * cannot do HTTPS, so it fetches its script, the ramdisk and the CA over plain HTTP; everything that carries a token
 * or an image goes to this endpoint instead. The name matters: busybox wget verifies the certificate's host name but
 * cannot verify an IP address (it passes {@code host:port} to {@code openssl -verify_ip}, which refuses it), so an
 * advertised address becomes a name ({@value #DEFAULT_NAME}) that the ramdisk maps to the address in /etc/hosts.
 *
 * @param baseUrl e.g. {@code https://plinth-controller:8443}
 * @param name the host name in {@code baseUrl} and in the server certificate
 * @param address the IP address the name stands for, when the machines must be told; null when DNS resolves it
 */
public record AgentEndpoint(String baseUrl, String name, String address) {
    public static final String DEFAULT_NAME = "plinth-controller";
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\\.[A-Za-z0-9][A-Za-z0-9-]{0,62})*");

    /**
     * The endpoint on {@code tlsPort} of the host in {@code advertisedBaseUrl} (the plain HTTP address the machines
     * already reach).
     */
    public static AgentEndpoint of(String advertisedBaseUrl, int tlsPort) {
        String host = URI.create(advertisedBaseUrl).getHost();
        if (host == null) {
            throw new IllegalArgumentException("no host in " + advertisedBaseUrl);
        }
        if (IPV4.matcher(host).matches()) {
            return new AgentEndpoint("https://" + DEFAULT_NAME + ":" + tlsPort, DEFAULT_NAME, host);
        }
        if (host.startsWith("[")) {
            throw new IllegalArgumentException("HTTPS for the deploy agent needs an IPv4 address or a host name in "
                    + advertisedBaseUrl + ": the ramdisk's resolver is given IPv4 only");
        }
        if (!NAME.matcher(host).matches()) {
            throw new IllegalArgumentException("not a host name: " + host);
        }
        return new AgentEndpoint("https://" + host + ":" + tlsPort, host, null);
    }

    /** Kernel arguments that tell the ramdisk how to reach this endpoint. */
    String kernelArgs() {
        return "plinth.api=" + baseUrl + (address == null ? "" : " plinth.apihost=" + address);
    }
}

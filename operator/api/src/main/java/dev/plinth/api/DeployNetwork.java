package dev.plinth.api;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The static network configuration the deploy ramdisk takes when the node boots it from virtual media, so that no
 * DHCP is needed on the provisioning network: an IPv4 address with its prefix on the boot NIC
 * ({@code bootMACAddress}), and the gateway to the controller when it is not on that subnet.
 *
 * @param address e.g. {@code 192.0.2.10/24}
 * @param gateway e.g. {@code 192.0.2.1}; null when the controller is on the same subnet
 */
public record DeployNetwork(String address, String gateway) {
    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

    /** What is wrong with these values (empty when nothing): the loader and the operator report them. */
    public static List<String> problems(String address, String gateway) {
        List<String> problems = new ArrayList<>();
        String[] parts = address == null ? new String[0] : address.split("/", -1);
        long ip = parts.length == 2 ? ipv4(parts[0]) : -1;
        int prefix = parts.length == 2 && parts[1].matches("\\d{1,2}") ? Integer.parseInt(parts[1]) : -1;
        if (ip < 0 || prefix < 1 || prefix > 32) {
            problems.add("address '" + address + "' is not an IPv4 address with a prefix length 1-32, like"
                    + " 192.0.2.10/24");
            return problems;
        }
        long mask = prefix == 0 ? 0 : (0xffffffffL << (32 - prefix)) & 0xffffffffL;
        if (prefix < 31 && ((ip & ~mask & 0xffffffffL) == 0 || (ip & ~mask & 0xffffffffL) == (~mask & 0xffffffffL))) {
            problems.add("address " + address + " is the network or broadcast address of its subnet, not a host's");
        }
        if (gateway != null) {
            long gw = ipv4(gateway);
            if (gw < 0) {
                problems.add("gateway '" + gateway + "' is not an IPv4 address, like 192.0.2.1");
            } else if ((gw & mask) != (ip & mask)) {
                problems.add("gateway " + gateway + " is not in the subnet of address " + address
                        + ": the node could not reach it");
            } else if (gw == ip) {
                problems.add("gateway " + gateway + " is the node's own address");
            }
        }
        return problems;
    }

    /** The address without its prefix. */
    public String ip() {
        return address.substring(0, address.indexOf('/'));
    }

    private static long ipv4(String s) {
        var m = s == null ? null : IPV4.matcher(s);
        if (m == null || !m.matches()) {
            return -1;
        }
        long v = 0;
        for (int i = 1; i <= 4; i++) {
            int octet = Integer.parseInt(m.group(i));
            if (octet > 255 || (m.group(i).length() > 1 && m.group(i).startsWith("0"))) {
                return -1;
            }
            v = (v << 8) | octet;
        }
        return v;
    }
}

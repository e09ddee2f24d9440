package dev.plinth.core;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * Deploy ids: {@code <node>-<serial>-<time>}, usable in the deploy agent's protocol (URLs, tokens, the ramdisk's
 * kernel command line: {@code [A-Za-z0-9._-]}, at most 128 characters). Node names need not be: in operator mode a
 * node is {@code namespace/name}. The name is therefore escaped so that distinct names never give one id: every
 * character outside {@code [A-Za-z0-9.-]} (the '_' itself included) becomes {@code _xx} per UTF-8 byte, so
 * {@code ns/web-0} is {@code ns_2fweb-0} and {@code ns_2fweb-0} (a standalone name) is {@code ns_5f2fweb-0}.
 * An escaped name longer than {@value #MAX_NAME} characters keeps a prefix and the first 64 bits of the SHA-256 of
 * the whole name ({@code _z} then 16 hex digits: one character longer than any name kept whole, so the two forms
 * never meet).
 */
public final class DeployIds {
    static final int MAX_NAME = 90;
    private static final int PREFIX = MAX_NAME + 1 - 2 - 16;

    private DeployIds() {}

    public static String of(String nodeName, long serial, Instant now) {
        return safeName(nodeName) + "-" + serial + "-" + Long.toString(now.toEpochMilli(), 36);
    }

    /** The node's name as it may stand in a deploy id; one name, one result, and two names never share it. */
    public static String safeName(String nodeName) {
        StringBuilder out = new StringBuilder(nodeName.length() + 8);
        for (byte b : nodeName.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-') {
                out.append(c);
            } else {
                out.append('_').append(HexFormat.of().toHexDigits(b));
            }
        }
        if (out.length() <= MAX_NAME) {
            return out.toString();
        }
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(nodeName.getBytes(StandardCharsets.UTF_8));
            return out.substring(0, PREFIX) + "_z" + HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is in every JDK", e);
        }
    }
}

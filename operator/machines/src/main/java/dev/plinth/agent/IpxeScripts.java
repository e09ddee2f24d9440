package dev.plinth.agent;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The iPXE scripts nodes network-boot with (ramdisk/PROTOCOL.md, section 1): the chain script every node gets, and
 * per MAC either the deploy script of its pending deploy or local boot.
 *
 * <p>The deploy script is the only place tokens ever leave the controller; nothing here logs it.
 */
final class IpxeScripts {
    // the facade's name, so log lines keep the logger they had before the split
    private static final Logger LOG = LoggerFactory.getLogger(AgentService.class);
    /** Hands the node back to its firmware, which boots the next device: the disk. */
    static final String LOCAL_BOOT = "#!ipxe\necho Plinth: local boot\nexit\n";

    private final AgentService.Config config;
    private final AgentTokens tokens;
    private final DeployRegistry registry;

    IpxeScripts(AgentService.Config config, AgentTokens tokens, DeployRegistry registry) {
        this.config = config;
        this.tokens = tokens;
        this.registry = registry;
    }

    /** The same for every node: iPXE fills in its MAC and asks for its own script. */
    String chain() {
        return "#!ipxe\nchain " + config.advertisedBaseUrl() + "/v1/boot/${mac}.ipxe\n";
    }

    /** The iPXE script for this MAC: the deploy script of its node's pending deploy, else local boot. */
    String forMac(String mac) {
        // the registry's monitor across lookup and rendering: the deploy cannot close in between
        synchronized (registry) {
            Deploy d = registry.pendingDeployOf(mac);
            if (d == null) {
                return LOCAL_BOOT;
            }
            LOG.info("serving the deploy script of deploy {} to node {} ({})", d.deployId, d.node, mac);
            return deployScript(d);
        }
    }

    private String deployScript(Deploy d) {
        if (config.ramdiskKernel() == null || config.ramdiskInitramfs() == null) {
            return "#!ipxe\necho Plinth: cannot deploy " + d.node + ": the deploy ramdisk is not configured"
                    + " on the controller (ramdisk kernel and initramfs)\nsleep 60\nreboot\n";
        }
        String base = config.advertisedBaseUrl();
        String extra = config.extraKernelArgs().isEmpty() ? "" : " " + config.extraKernelArgs();
        // `quiet`: without it the kernel prints its command line, tokens included, on the console
        return "#!ipxe\n"
                + "echo Plinth: deploying " + d.imageName + " to " + d.node + " (deploy " + d.deployId + ")\n"
                + "kernel " + base + "/v1/ramdisk/vmlinuz" + extra + " quiet plinth.api=" + base
                + " plinth.deploy=" + d.deployId + " plinth.token=" + tokens.deployToken(d.deployId)
                + " plinth.node=" + d.node + " plinth.checkin=" + tokens.checkinToken(d.deployId)
                + " BOOTIF=01-${mac:hexhyp}\n"
                + "initrd " + base + "/v1/ramdisk/initramfs.cpio.gz\n"
                + "boot\n";
    }

    /** The MAC of a {@code {mac}.ipxe} file name as iPXE asks for it (colons percent-encoded); null if none. */
    static String macOfFileName(String file) {
        return normalizeMac(percentDecode(file.substring(0, file.length() - ".ipxe".length())));
    }

    /** {@code aa:bb:cc:dd:ee:ff} in lower case, accepting '-' as separator; null when it is not a MAC. */
    static String normalizeMac(String mac) {
        if (mac == null) {
            return null;
        }
        String m = mac.trim().toLowerCase(Locale.ROOT).replace('-', ':');
        return m.matches("([0-9a-f]{2}:){5}[0-9a-f]{2}") ? m : null;
    }

    private static String percentDecode(String s) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        try {
            // a path keeps its '+': only %XX is decoded
            return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }
}

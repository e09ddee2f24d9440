package dev.plinth.agent;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The iPXE scripts nodes network-boot with (ramdisk/PROTOCOL.md, section 1): the chain script every node gets, and
 * per MAC either the deploy script of its pending deploy (once per boot window) or local boot.
 *
 * <p>The deploy script is the only place tokens ever leave the controller; nothing here logs it.
 */
final class IpxeScripts {
    // the facade's name, so log lines keep the logger they had before the split
    private static final Logger LOG = LoggerFactory.getLogger(AgentService.class);
    /** Hands the node back to its firmware, which boots the next device: the disk. */
    static final String LOCAL_BOOT = "#!ipxe\necho Plinth: local boot\nexit\n";

    /**
     * What a machine gets when its boot credential was handed out already in this boot: no token, and no ramdisk
     * (iPXE's {@code exit} hands back to the firmware). The controller boots the machine again when its ramdisk stays
     * silent, with a fresh window.
     */
    static final String REFUSED = "#!ipxe\necho Plinth: the deploy script of this boot was handed out already:"
            + " refused\nexit\n";

    /** A script and the node to wake (a security event to show), or null. */
    record Served(String script, String wake) {
    }

    private final AgentService.Config config;
    private final DeployRegistry registry;
    private final Clock clock;

    IpxeScripts(AgentService.Config config, DeployRegistry registry, Clock clock) {
        this.config = config;
        this.registry = registry;
        this.clock = clock;
    }

    /** The same for every node: iPXE fills in its MAC and asks for its own script. */
    String chain() {
        return "#!ipxe\nchain " + config.advertisedBaseUrl() + "/v1/boot/${mac}.ipxe\n";
    }

    /**
     * A request for the iPXE script of this MAC, from {@code from} (for the log). The deploy script, with the
     * tokens of the current boot, goes to the first request in the node's boot window only; a later request in
     * the same boot is refused and is a security event on the deploy (node status, history, a WARN line); outside
     * a window (none opened, or past {@code bootWindow} unclaimed) and without a pending deploy: local boot.
     */
    Served claim(String mac, String from) {
        // the registry's monitor across lookup, claim and rendering: the deploy cannot close in between
        synchronized (registry) {
            Deploy d = registry.pendingDeployOf(mac);
            if (d == null || d.windowOpenedAt == null) {
                return new Served(LOCAL_BOOT, null);
            }
            Instant now = clock.instant();
            if (d.claimed) {
                d.alert = "the deploy script of boot " + d.boot + " was asked for again (from " + from
                        + ") after it was handed out: refused; if this machine did not boot twice, someone else"
                        + " asked for its credential";
                d.updated = now;
                registry.persist();
                LOG.warn("security: node {} ({}): the deploy script of deploy {} boot {} was asked for again from {}"
                        + " after it was handed out: refused", d.node, mac, d.deployId, d.boot, from);
                return new Served(REFUSED, d.node);
            }
            if (now.isAfter(d.windowOpenedAt.plus(config.bootWindow()))) {
                return new Served(LOCAL_BOOT, null);
            }
            d.claimed = true;
            d.updated = now;
            registry.persist();
            LOG.info("serving the deploy script of deploy {} boot {} to node {} ({}, from {})", d.deployId, d.boot,
                    d.node, mac, from);
            return new Served(deployScript(d), null);
        }
    }

    private String deployScript(Deploy d) {
        if (config.ramdiskKernel() == null || config.ramdiskInitramfs() == null) {
            return "#!ipxe\necho Plinth: cannot deploy " + d.node + ": the deploy ramdisk is not configured"
                    + " on the controller (ramdisk kernel and initramfs)\nsleep 60\nreboot\n";
        }
        String base = config.advertisedBaseUrl();
        String extra = config.extraKernelArgs().isEmpty() ? "" : " " + config.extraKernelArgs();
        String api = config.tls() == null ? "plinth.api=" + base : config.tls().endpoint().kernelArgs();
        // the CA as a second initrd: the kernel unpacks it over the ramdisk's (PROTOCOL.md, section 1)
        String caInitrd = config.tls() == null ? "" : "initrd " + base + "/v1/ramdisk/ca.cpio\n";
        // `quiet`: without it the kernel prints its command line, tokens included, on the console
        return "#!ipxe\n"
                + "echo Plinth: " + (d.wipe ? "wiping the disks of " + d.node
                        : d.inspect ? "inspecting the hardware of " + d.node
                        : "deploying " + d.imageName + " to " + d.node) + " (deploy " + d.deployId + ")\n"
                + "kernel " + base + "/v1/ramdisk/vmlinuz" + extra + " quiet " + api
                + " plinth.deploy=" + d.deployId + " plinth.token=" + registry.deployToken(d)
                + " plinth.node=" + d.node + " plinth.checkin=" + registry.checkinToken(d)
                + " BOOTIF=01-${mac:hexhyp}\n"
                + "initrd " + base + "/v1/ramdisk/initramfs.cpio.gz\n"
                + caInitrd
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

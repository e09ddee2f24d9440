package dev.plinth.agent;

import dev.plinth.api.DeployNetwork;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What makes one boot's deploy ISO different from the generic ramdisk: isolinux's config, and a small initrd with the
 * boot's parameters ({@value #BOOT_CONF}: the API, the deploy and its tokens, the boot NIC and its static address)
 * and the controller CA. The parameters go in a file rather than on the kernel command line, which every process
 * of the ramdisk can read in /proc/cmdline; the agent reads the file after the command line
 * (ramdisk/PROTOCOL.md, section 1a). Pure: the tokens are given, nothing is written.
 */
final class DeployIso {
    static final String BOOT_CONF = "etc/plinth/boot.conf";
    /** Where the parts are on the ISO. */
    static final String KERNEL = "plinth/vmlinuz";
    static final String INITRD = "plinth/initrd.gz";
    static final String DEPLOY_INITRD = "plinth/deploy.img";
    static final String CONFIG = "isolinux/isolinux.cfg";
    static final String LDLINUX = "isolinux/ldlinux.c32";
    /** GRUB's per-boot config: the EFI image's built-in config (ramdisk/build-iso.sh) searches for this file. */
    static final String GRUB_CONFIG = "plinth/grub.cfg";

    /**
     * @param apiArgs {@code plinth.api=URL} and, with HTTPS to an address, {@code plinth.apihost=ADDRESS}
     * @param mac the boot NIC, {@code aa:bb:cc:dd:ee:ff}
     * @param network the static address; null: the ramdisk asks DHCP
     * @param caPem the controller CA; null without HTTPS
     */
    record Boot(List<String> apiArgs, String deployId, String deployToken, String node, String checkinToken,
            String mac, DeployNetwork network, String caPem) {}

    private DeployIso() {}

    /** isolinux's config (BIOS): boot the ramdisk at once, with both initrds. */
    static String isolinuxConfig(String extraKernelArgs) {
        return "DEFAULT plinth\nPROMPT 0\nTIMEOUT 0\nLABEL plinth\n  KERNEL /" + KERNEL + "\n  APPEND initrd=/"
                + INITRD + ",/" + DEPLOY_INITRD + " " + kernelArgs(extraKernelArgs) + "\n";
    }

    /** GRUB's config (UEFI): the same kernel, initrds and arguments as {@link #isolinuxConfig}, at once. */
    static String grubConfig(String extraKernelArgs) {
        return "set timeout=0\nset default=0\nmenuentry plinth {\n  linux /" + KERNEL + " "
                + kernelArgs(extraKernelArgs) + "\n  initrd /" + INITRD + " /" + DEPLOY_INITRD + "\n}\n";
    }

    /** The kernel arguments of both boot paths; {@code quiet} keeps the console short. */
    private static String kernelArgs(String extraKernelArgs) {
        String extra = extraKernelArgs == null || extraKernelArgs.isBlank() ? "" : extraKernelArgs.trim() + " ";
        return extra + "quiet";
    }

    /** The parameters, one {@code name=value} a line, as the agent's {@code cmdline_get} reads them. */
    static String bootConf(Boot b) {
        List<String> lines = new ArrayList<>(b.apiArgs());
        lines.add("plinth.deploy=" + b.deployId());
        lines.add("plinth.token=" + b.deployToken());
        lines.add("plinth.node=" + b.node());
        lines.add("plinth.checkin=" + b.checkinToken());
        if (b.mac() != null) {
            lines.add("BOOTIF=01-" + b.mac().replace(':', '-'));
        }
        if (b.network() != null) {
            lines.add("plinth.ip=" + b.network().address());
            if (b.network().gateway() != null) {
                lines.add("plinth.gateway=" + b.network().gateway());
            }
        }
        return String.join("\n", lines) + "\n";
    }

    /** The second initrd: the parameters (0600) and, with HTTPS, the CA the agent verifies the controller with. */
    static byte[] deployInitrd(Boot b) {
        Cpio cpio = new Cpio().directory("etc").directory("etc/plinth")
                .file(BOOT_CONF, 0600, bootConf(b).getBytes(StandardCharsets.UTF_8));
        if (b.caPem() != null) {
            cpio.file(CaInitrd.CA_PATH, 0644, b.caPem().getBytes(StandardCharsets.US_ASCII));
        }
        return cpio.finish();
    }
}

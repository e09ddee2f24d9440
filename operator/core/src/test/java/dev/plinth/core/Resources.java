package dev.plinth.core;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.BareMetalNodeSpec;
import dev.plinth.api.BmcSpec;
import dev.plinth.api.Compression;
import dev.plinth.api.DiskImage;
import dev.plinth.api.DiskImageSpec;
import dev.plinth.api.ImageFormat;
import dev.plinth.api.ObjectMeta;
import dev.plinth.api.ResourceRef;
import dev.plinth.api.RootDeviceHints;
import java.util.Map;

/**
 * Resources for core's own unit tests. (The test kit's fleet builders depend on core, so core cannot use them:
 * Maven refuses the cycle.)
 */
public final class Resources {
    private Resources() {}

    public static DiskImage image(String name, char checksumDigit) {
        var spec = new DiskImageSpec("http://images.example/" + name + ".raw",
                "sha256:" + String.valueOf(checksumDigit).repeat(64), ImageFormat.RAW, Compression.NONE);
        return new DiskImage(ObjectMeta.named(name), spec);
    }

    /** A compute node whose BMC and boot MAC are derived from {@code index}. */
    public static BareMetalNode node(String name, int index, String image, boolean online) {
        var bmc = BmcSpec.of("ipmi://10.0.0." + (index + 1) + ":623", "bmc-" + name, false);
        var spec = new BareMetalNodeSpec(bmc, String.format("52:54:00:00:00:%02x", index), online,
                image == null ? null : new ResourceRef(image), RootDeviceHints.NONE);
        return new BareMetalNode(new ObjectMeta(name, Map.of("role", "compute")), spec);
    }
}

package dev.plinth.testkit;

import dev.plinth.api.BareMetalNode;
import dev.plinth.api.BareMetalNodeSpec;
import dev.plinth.api.BmcSpec;
import dev.plinth.api.Compression;
import dev.plinth.api.DesiredState;
import dev.plinth.api.DiskImage;
import dev.plinth.api.DiskImageSpec;
import dev.plinth.api.ImageFormat;
import dev.plinth.api.ObjectMeta;
import dev.plinth.api.ResourceRef;
import dev.plinth.api.RootDeviceHints;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builders of resources for tests. */
public final class Fixtures {
    private Fixtures() {}

    public static DiskImage image(String name, char checksumDigit) {
        return new DiskImage(ObjectMeta.named(name), new DiskImageSpec("http://images.example/" + name + ".raw",
                "sha256:" + String.valueOf(checksumDigit).repeat(64), ImageFormat.RAW, Compression.NONE));
    }

    public static BareMetalNode node(String name, int index, String image, boolean online) {
        return new BareMetalNode(new ObjectMeta(name, Map.of("role", "compute")), new BareMetalNodeSpec(
                BmcSpec.of("ipmi://10.0." + (index / 250) + "." + (index % 250 + 1) + ":623", "bmc-" + name, false),
                mac(index), online, image == null ? null : new ResourceRef(image), RootDeviceHints.NONE));
    }

    public static String mac(int index) {
        return String.format("52:54:00:%02x:%02x:%02x", (index >> 16) & 0xff, (index >> 8) & 0xff, index & 0xff);
    }

    /** A revision of {@code count} nodes named node-0.. all running {@code image}. */
    public static DesiredState fleet(String revision, int count, DiskImage image) {
        List<dev.plinth.api.Resource> resources = new ArrayList<>();
        resources.add(image);
        for (int i = 0; i < count; i++) {
            resources.add(node("node-" + i, i, image.name(), true));
        }
        return DesiredState.of(revision, resources);
    }
}
